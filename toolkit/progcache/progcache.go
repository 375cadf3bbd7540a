// Package progcache shares compiled programs between graphs that compile
// to the same program.
//
// Every training run builds its own graphs (GoMLX ties a graph to the
// run's variables), so a study whose methods train the same network, the
// folds of a search, or a notebook cell run twice compile the same
// training and evaluation steps again and again: on a GPU one XLA compile
// of a ResNet-18 step takes about a second, its first-time convolution
// autotuning included. A backend wrapped by Wrap compiles a program once
// and hands the same executable to every later builder whose program is
// the same, as long as one of them still holds it, and keeps the last few
// released ones for the runs that come after.
//
// "The same program" is decided by a KeyFunc. StableHLOKey, the default,
// is the program text GoMLX's XLA backend hands to the PJRT plugin (with
// the module's name left out): equal text, equal executable. On other
// backends it declines and every graph compiles as usual (the pure-Go
// backends compile in milliseconds).
package progcache

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
)

// KeyFunc names the program a builder would compile for these outputs:
// builders with equal keys must compile to interchangeable executables
// (same parameters and outputs, in the same order, computed the same way).
// ok false: no key (the builder compiles as usual).
type KeyFunc func(b backends.Builder, outputs []backends.Op) (key string, ok bool)

// DefaultKeep is the number of released programs a Cache made by New(0,
// nil) keeps: all of a run's (training steps, one and several a call,
// the evaluation's forward and loss, each also for a partial batch: about
// 10) for the next method, fold or cell, with room to spare.
const DefaultKeep = 16

// Cache holds the programs compiled through the backends it wraps.
type Cache struct {
	key  KeyFunc
	keep int

	mu      sync.Mutex
	entries map[string]*entry
	idle    []*entry // released, kept for reuse; oldest first
	closed  bool
	stats   Stats
}

// Stats counts what a Cache did.
type Stats struct {
	Compiles int // programs compiled (with a key)
	Reuses   int // compiles saved: a builder got a program compiled before
	Unkeyed  int // builders the key function declined (compiled as usual)
	Freed    int // programs finalized (released and no longer kept)
}

type entry struct {
	key   string
	exec  backends.Executable
	err   error
	ready chan struct{} // closed when exec or err is set
	refs  int           // handles not finalized
}

// New returns a cache keeping up to keep released programs (0:
// DefaultKeep) and telling programs apart by key (nil: StableHLOKey).
func New(keep int, key KeyFunc) *Cache {
	if keep <= 0 {
		keep = DefaultKeep
	}
	if key == nil {
		key = StableHLOKey
	}
	return &Cache{key: key, keep: keep, entries: map[string]*entry{}}
}

// Stats returns the counts so far.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Kept is the number of released programs the cache holds.
func (c *Cache) Kept() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.idle)
}

// Free finalizes the released programs the cache keeps; those still in use
// are finalized when their last holder releases them, and nothing is kept
// from then on. The wrapped backend calls it when it is finalized.
func (c *Cache) Free() {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	for _, e := range idle {
		delete(c.entries, e.key)
	}
	c.stats.Freed += len(idle)
	c.mu.Unlock()
	for _, e := range idle {
		e.exec.Finalize()
	}
}

// compile returns a handle on the program of key, compiling it with
// compile when no builder compiled it before (or when the cache is freed).
// Builders asking for a key being compiled wait for that compile.
func (c *Cache) compile(key string, compile func() (backends.Executable, error)) (backends.Executable, error) {
	c.mu.Lock()
	for {
		e, ok := c.entries[key]
		if !ok {
			break
		}
		if e.refs == 0 {
			c.idle = slices.DeleteFunc(c.idle, func(x *entry) bool { return x == e })
		}
		e.refs++
		c.mu.Unlock()
		<-e.ready
		if e.err == nil {
			c.mu.Lock()
			c.stats.Reuses++
			c.mu.Unlock()
			return &handle{Executable: e.exec, cache: c, entry: e, reused: true}, nil
		}
		// That compile failed (and removed its entry): try again here.
		c.mu.Lock()
	}
	if c.closed {
		c.mu.Unlock()
		return compile()
	}
	e := &entry{key: key, ready: make(chan struct{}), refs: 1}
	c.entries[key] = e
	c.mu.Unlock()

	exec, err := guard(compile)
	c.mu.Lock()
	if err != nil {
		delete(c.entries, key)
		e.err = err
	} else {
		e.exec = exec
		c.stats.Compiles++
	}
	c.mu.Unlock()
	close(e.ready)
	if err != nil {
		return nil, err
	}
	return &handle{Executable: exec, cache: c, entry: e}, nil
}

// guard runs compile, turning a panic into an error: an entry whose
// compile panicked must not keep later builders waiting.
func guard(compile func() (backends.Executable, error)) (exec backends.Executable, err error) {
	defer func() {
		if r := recover(); r != nil {
			exec, err = nil, fmt.Errorf("compile panicked: %v", r)
		}
	}()
	return compile()
}

// release drops one holder of e; a program no one holds is kept (the
// oldest kept one finalized when there are too many) or, once the cache
// is freed, finalized.
func (c *Cache) release(e *entry) {
	c.mu.Lock()
	e.refs--
	if e.refs > 0 || e.err != nil {
		c.mu.Unlock()
		return
	}
	var drop []*entry
	if c.closed {
		delete(c.entries, e.key)
		drop = append(drop, e)
	} else {
		c.idle = append(c.idle, e)
		for len(c.idle) > c.keep {
			old := c.idle[0]
			c.idle = c.idle[1:]
			delete(c.entries, old.key)
			drop = append(drop, old)
		}
	}
	c.stats.Freed += len(drop)
	c.mu.Unlock()
	for _, x := range drop {
		x.exec.Finalize()
	}
}

// Wrap returns b compiling through c. Use the returned backend for
// everything (a tensor belongs to one backend value).
func Wrap(b backends.Backend, c *Cache) backends.Backend {
	if b == nil {
		return nil
	}
	return &backend{Backend: b, cache: c}
}

// Of returns the cache of the first backend Wrap made in b's chain of
// wrappers (each looked through with an Unwrap() backends.Backend
// method), or nil.
func Of(b backends.Backend) *Cache {
	for b != nil {
		if w, ok := b.(*backend); ok {
			return w.cache
		}
		u, ok := b.(interface{ Unwrap() backends.Backend })
		if !ok {
			return nil
		}
		b = u.Unwrap()
	}
	return nil
}

// Reused reports whether e, returned by a Compile, is a program compiled
// before for another builder (no compile happened).
func Reused(e backends.Executable) bool {
	h, ok := e.(*handle)
	return ok && h.reused
}

type backend struct {
	backends.Backend
	cache *Cache
}

// Unwrap returns the wrapped backend.
func (b *backend) Unwrap() backends.Backend { return b.Backend }

// Builder wraps the inner backend's builder.
func (b *backend) Builder(name string) backends.Builder {
	inner := b.Backend.Builder(name)
	if inner == nil {
		return nil
	}
	return &builder{Builder: inner, cache: b.cache}
}

// Finalize frees the kept programs, then the backend.
func (b *backend) Finalize() {
	b.cache.Free()
	b.Backend.Finalize()
}

type builder struct {
	backends.Builder
	cache *Cache
}

// Unwrap returns the wrapped builder.
func (b *builder) Unwrap() backends.Builder { return b.Builder }

// Compile compiles the program, or hands out the one compiled before for
// the same key.
func (b *builder) Compile(outputs []backends.Op, shardings []*backends.ShardingSpec) (backends.Executable, error) {
	key, ok := "", false
	if len(shardings) == 0 {
		key, ok = b.cache.key(b.Builder, outputs)
	}
	if !ok {
		b.cache.mu.Lock()
		b.cache.stats.Unkeyed++
		b.cache.mu.Unlock()
		return b.Builder.Compile(outputs, shardings)
	}
	return b.cache.compile(key, func() (backends.Executable, error) {
		return b.Builder.Compile(outputs, shardings)
	})
}

// handle is one builder's hold on a shared program; Finalize releases it
// (once).
type handle struct {
	backends.Executable
	cache  *Cache
	entry  *entry
	reused bool

	once sync.Once
}

// Finalize releases the program: it is finalized when no builder holds it
// and the cache does not keep it.
func (h *handle) Finalize() {
	h.once.Do(func() { h.cache.release(h.entry) })
}
