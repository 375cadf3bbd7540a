package train

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"

	"github.com/debiaser/debiaser/toolkit/gobackend"
)

// Runs with the same key, variables and seed get the first run's initial
// values without initialising; another seed or key initialises anew.
func TestInitialValues(t *testing.T) {
	backend, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	iv := NewInitialValues()
	defer iv.Free()
	start := func(seed int64, key string) []float32 {
		t.Helper()
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(seed); err != nil {
			t.Fatal(err)
		}
		ctx.In("layer").WithInitializer(initializers.RandomNormalFn(ctx, 1)).VariableWithShape("w", shapes.Make(dtypes.Float32, 3, 4))
		if err := iv.apply(ctx, backend, key); err != nil {
			t.Fatal(err)
		}
		v := ctx.GetVariableByScopeAndName("/layer", "w")
		if v == nil || !v.HasValue() {
			t.Fatal("variable not initialised")
		}
		return tensors.MustCopyFlatData[float32](v.MustValue())
	}
	first := start(1, "m")
	again := start(1, "m")
	if iv.Hits() != 1 || !slices.Equal(first, again) {
		t.Errorf("same key and seed: hits %d, values equal %v", iv.Hits(), slices.Equal(first, again))
	}
	if other := start(2, "m"); iv.Hits() != 1 || slices.Equal(first, other) {
		t.Errorf("another seed: hits %d, values equal %v (want 1, false)", iv.Hits(), slices.Equal(first, other))
	}
	if start(1, "other model"); iv.Hits() != 1 {
		t.Errorf("another key copied values (hits %d)", iv.Hits())
	}
}

// KeepAtMost drops the least recently used kinds of runs.
func TestInitialValuesKeepAtMost(t *testing.T) {
	backend, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	iv := NewInitialValues().KeepAtMost(2)
	defer iv.Free()
	start := func(key string) {
		t.Helper()
		ctx := context.New()
		ctx.In("layer").WithInitializer(initializers.Zero).VariableWithShape("w", shapes.Make(dtypes.Float32, 2))
		if err := iv.apply(ctx, backend, key); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		key        string
		hits, kept int
	}{{"a", 0, 1}, {"b", 0, 2}, {"a", 1, 2}, {"c", 1, 2}, {"a", 2, 2}, {"b", 2, 2}} {
		// "c" drops "b" (a was used after it); "b" then initialises anew.
		start(tt.key)
		if iv.Hits() != tt.hits || iv.Kept() != tt.kept {
			t.Errorf("after %q: hits %d kept %d, want %d %d", tt.key, iv.Hits(), iv.Kept(), tt.hits, tt.kept)
		}
	}
}
