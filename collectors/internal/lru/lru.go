// Package lru is a small bounded, concurrency-safe map that forgets the least recently used
// key first. Collectors use it to dedupe posts seen on several connections and to remember
// recent platform ids. It must not import leakwatch or collectors.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps keys to values, holding at most its size.
type Cache[V any] struct {
	mu    sync.Mutex
	size  int
	order *list.List // front: most recent
	items map[string]*list.Element
}

type entry[V any] struct {
	key string
	val V
}

// New returns a cache holding at most size keys (at least 1).
func New[V any](size int) *Cache[V] {
	if size < 1 {
		size = 1
	}
	return &Cache[V]{size: size, order: list.New(), items: make(map[string]*list.Element, size)}
}

// Get returns the value of key and marks it recently used.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry[V]).val, true
	}
	var zero V
	return zero, false
}

// Put sets key to val.
func (c *Cache[V]) Put(key string, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, val)
}

func (c *Cache[V]) put(key string, val V) {
	if e, ok := c.items[key]; ok {
		e.Value.(*entry[V]).val = val
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&entry[V]{key, val})
	if c.order.Len() > c.size {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry[V]).key)
	}
}

// Add records key and reports whether it was new. Checking and recording in one step lets
// two connections race on the same post and only one of them emit it.
func (c *Cache[V]) Add(key string, val V) (added bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return false
	}
	c.put(key, val)
	return true
}

// Len is the number of keys held.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
