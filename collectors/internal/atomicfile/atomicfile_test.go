package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplacesAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bluesky.cursor")
	for _, want := range []string{"1725911162329308\n", "1725911162400000\n"} {
		if err := WriteFile(path, []byte(want)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Fatalf("content %q %v, want %q", got, err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %v, want only the file", entries)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "state.json"), []byte("{}")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
