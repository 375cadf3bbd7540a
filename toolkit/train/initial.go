package train

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// InitialValues keeps the values runs' variables start from, so runs that
// start alike initialise them once: the first run of a kind runs the
// initialisers (one compiled graph: about 6.5 s for ResNet-18 on an H200,
// more than its training step's compile), later ones copy its values. A
// study's methods start alike (same model, weights and seed).
//
// Runs share values only when their keys (Setup.InitialKey: what decides
// the initialisers, such as the model and its options) and their variables
// (names and shapes, and the context's random-number state after seeding)
// are equal, so a run with shared values trains exactly as it would alone.
// Safe for concurrent runs.
type InitialValues struct {
	mu   sync.Mutex
	runs map[string]map[string]*tensors.Tensor // by key: host copies by variable
	hits int
	// order lists the keys of runs, least recently used first; max > 0
	// bounds how many are kept.
	order []string
	max   int
}

// NewInitialValues returns an empty store.
func NewInitialValues() *InitialValues {
	return &InitialValues{runs: map[string]map[string]*tensors.Tensor{}}
}

// KeepAtMost bounds the kinds of runs whose values are kept to n (n <= 0:
// no bound), dropping the least recently used: the copies are host memory,
// about 135 MB for ResNet-18 with Adam's state. A search's trials come
// grouped by their configuration (its folds one after the other), so a
// few suffice.
func (iv *InitialValues) KeepAtMost(n int) *InitialValues {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	iv.max = n
	iv.evict()
	return iv
}

// use marks key as just used, and drops the least recently used kinds
// beyond max. Called with mu held.
func (iv *InitialValues) use(key string) {
	iv.order = slices.DeleteFunc(iv.order, func(k string) bool { return k == key })
	iv.order = append(iv.order, key)
	iv.evict()
}

func (iv *InitialValues) evict() {
	for iv.max > 0 && len(iv.order) > iv.max {
		for _, t := range iv.runs[iv.order[0]] {
			t.FinalizeAll()
		}
		delete(iv.runs, iv.order[0])
		iv.order = iv.order[1:]
	}
}

// Kept is the number of kinds of runs whose values are kept.
func (iv *InitialValues) Kept() int {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return len(iv.runs)
}

// Hits is the number of runs that copied values instead of initialising.
func (iv *InitialValues) Hits() int {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	return iv.hits
}

// Free releases the kept copies.
func (iv *InitialValues) Free() {
	iv.mu.Lock()
	defer iv.mu.Unlock()
	for _, vals := range iv.runs {
		for _, t := range vals {
			t.FinalizeAll()
		}
	}
	clear(iv.runs)
	iv.order = nil
}

// apply gives every variable of ctx without a value its initial value:
// copied from an earlier run of the same key and variables, else computed
// by ctx's initialisers on backend and kept.
func (iv *InitialValues) apply(ctx *context.Context, backend backends.Backend, key string) error {
	key = key + "\n" + variableSet(ctx)
	iv.mu.Lock()
	defer iv.mu.Unlock()
	if vals, ok := iv.runs[key]; ok {
		var err error
		for v := range ctx.IterVariables() {
			t, kept := vals[v.ScopeAndName()]
			if !kept || err != nil {
				continue
			}
			var c *tensors.Tensor
			if c, err = t.LocalClone(); err == nil {
				err = v.SetValue(c)
			}
		}
		if err != nil {
			return fmt.Errorf("initial values: %w", err)
		}
		iv.hits++
		iv.use(key)
		return nil
	}
	if err := InitializeVariables(ctx, backend); err != nil {
		return err
	}
	vals, err := localClones(ctx)
	if err != nil {
		return fmt.Errorf("initial values: %w", err)
	}
	iv.runs[key] = vals
	iv.use(key)
	return nil
}

// variableSet describes ctx's variables before initialisation: names and
// shapes, and the values of those that have one (the random-number state,
// loaded weights) by their digest.
func variableSet(ctx *context.Context) string {
	var lines []string
	for v := range ctx.IterVariables() {
		line := v.ScopeAndName() + " " + v.Shape().String()
		if v.HasValue() {
			line += " = " + digest(v.MustValue())
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// digest is a short hash of t's bytes ("?" when they cannot be read).
func digest(t *tensors.Tensor) string {
	h := sha256.New()
	if err := t.ConstBytes(func(b []byte) { h.Write(b) }); err != nil {
		return "?"
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
