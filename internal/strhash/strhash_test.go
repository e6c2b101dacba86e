package strhash

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"
)

// A collision would make two account pairs, or two objects of an edge, count as one: no two
// of these strings, chosen to look alike (every length, zero bytes where a short tail is
// padded, one byte changed anywhere, shared prefixes, account names), may hash alike.
func TestNoCollisions(t *testing.T) {
	seen := map[uint64]string{}
	add := func(s string) {
		h := String(0, s)
		if prev, ok := seen[h]; ok && prev != s {
			t.Fatalf("%q and %q both hash to %x", prev, s, h)
		}
		seen[h] = s
	}
	for n := 0; n <= 64; n++ {
		add(strings.Repeat("\x00", n))
		add(strings.Repeat("a", n))
		base := []byte(strings.Repeat("x", n))
		for i := range base {
			for _, c := range []byte{0, 1, 'y', 0x80, 0xff} {
				b := append([]byte(nil), base...)
				b[i] = c
				add(string(b))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300_000 {
		add(fmt.Sprintf("user%d", i))
		add(fmt.Sprintf("neartext:%d-%016x", i%9, r.Uint64()))
		b := make([]byte, 1+r.IntN(30))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		add(string(b))
	}
}

// Continuing from a hash is hashing after it: a pair (a, b) and (b, a) differ, and so do
// pairs whose names split the same bytes differently.
func TestContinues(t *testing.T) {
	pairs := [][2]string{{"ab", "c"}, {"a", "bc"}, {"c", "ab"}, {"", "abc"}, {"abc", ""}}
	seen := map[uint64][2]string{}
	for _, p := range pairs {
		h := String(String(0, p[0]), p[1])
		if prev, ok := seen[h]; ok {
			t.Fatalf("pairs %q and %q hash alike", prev, p)
		}
		seen[h] = p
	}
}

// FNV names texts and groups in stored records: it must stay FNV-1a, continued from any h.
func TestFNVIsFNV1a(t *testing.T) {
	for _, parts := range [][]string{{""}, {"a"}, {"hashtag", "alice", "bob"}, {"Élysée", "\x00\xff"}} {
		h := uint64(FNVOffset)
		std := fnv.New64a()
		for _, p := range parts {
			h = FNV(h, p)
			std.Write([]byte(p))
		}
		if h != std.Sum64() {
			t.Errorf("FNV of %q = %x, FNV-1a gives %x", parts, h, std.Sum64())
		}
	}
}
