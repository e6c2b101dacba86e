// Package atomicfile replaces small state files (a stream cursor, the sites state) so that a
// crash or a power loss leaves the old content or the new one, never an empty file. It must
// not import leakwatch or collectors.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data: written to a temporary file in the same directory,
// synced, renamed over path, and the directory synced. Without the first sync a file system
// may commit the rename before the data, and the file is empty after a power loss; without
// the second the rename itself may be lost.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable. Where a directory cannot be synced (Windows, some
// network file systems) the rename still stands and the file's own data is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// CheckDir says why WriteFile cannot create files in dir (it does not exist, or is not
// writable), or nil, by creating and removing a file the way WriteFile does. Sources call it
// at start: a state file that cannot be saved is otherwise found out only at the first save,
// and a restart loses what the file was for.
func CheckDir(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write beside it: %w (create the directory, or set the file elsewhere)", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
