package lru

import (
	"strconv"
	"sync"
	"testing"
)

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a") // a is now more recent than b
	c.Put("c", 3)
	if _, ok := c.Get("b"); ok {
		t.Error("b should have been evicted")
	}
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Errorf("a = %v %v", v, ok)
	}
	if c.Len() != 2 {
		t.Errorf("len = %d", c.Len())
	}
}

func TestAddOnceAcrossGoroutines(t *testing.T) {
	c := New[struct{}](1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if c.Add(strconv.Itoa(i), struct{}{}) {
					mu.Lock()
					added++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if added != 100 {
		t.Fatalf("added %d keys, want each of 100 exactly once", added)
	}
}
