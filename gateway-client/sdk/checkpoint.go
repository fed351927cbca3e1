package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// CheckpointFile is a [Checkpointer] kept in one JSON file, replaced atomically (write to a temporary
// file, sync, rename) on every Save, so a crash leaves either the old or the new checkpoint.
type CheckpointFile struct {
	path string
	mu   sync.Mutex
}

// NewCheckpointFile returns a checkpoint kept at path. The file is created on the first Save.
func NewCheckpointFile(path string) (*CheckpointFile, error) {
	if path == "" {
		return nil, errors.New("checkpoint file: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint file %s: %w", path, err)
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		return nil, fmt.Errorf("checkpoint file %s: is a folder", abs)
	}
	return &CheckpointFile{path: abs}, nil
}

// Path returns the file's path.
func (f *CheckpointFile) Path() string { return f.path }

// Load reads the checkpoint; it reports false when the file does not exist yet.
func (f *CheckpointFile) Load() (Checkpoint, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint file: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(data, &cp); err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint file %s: %w", f.path, err)
	}
	return cp, true, nil
}

// Save replaces the checkpoint atomically.
func (f *CheckpointFile) Save(cp Checkpoint) error {
	data, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := writeFileAtomic(f.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	return nil
}
