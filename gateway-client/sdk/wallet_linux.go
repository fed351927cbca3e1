package sdk

import (
	"errors"

	"golang.org/x/sys/unix"
)

// renameExchange swaps the folders a and b in one step (renameat2 RENAME_EXCHANGE). A file system
// without it answers errNoExchange.
func renameExchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		return errNoExchange
	}
	return err
}
