//go:build !linux

package sdk

// renameExchange: no atomic exchange of two folders here; [Wallet.replace] renames twice.
func renameExchange(_, _ string) error { return errNoExchange }
