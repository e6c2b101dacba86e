//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDataDir takes dir for this demo alone: two demos on one data directory (both on the
// default one, on two ports) would write one broker's files at once, and each page's reader
// would then loop on records it cannot decode, quietly missing alerts. The lock is the
// kernel's (flock), so a demo killed outright leaves none behind. unlock releases it.
func lockDataDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "demo.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: --data %s is in use by another demo (%s): give each demo its own --data", errUsage, dir, describeOwner(string(owner)))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f.Truncate(0)
	f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}

func describeOwner(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "its process id unknown"
	}
	return s
}
