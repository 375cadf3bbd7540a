package data

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends/simplego" // pure-Go backend only: no XLA in tests
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestTensorsFeedAGraph checks that a batch from Tensors runs through a
// GoMLX graph on the pure-Go backend: the per-sample sum of the images
// must equal the sum of the same batch made by Floats.
func TestTensorsFeedAGraph(t *testing.T) {
	backend, err := simplego.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	ds := tinyDataset(6)
	b := &Batcher{Data: ds, Transform: probe{2}, Seed: 3}
	indices := []int{5, 0, 3}
	images, labels, err := b.Tensors(indices, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	flat, wantLabels, err := b.Floats(indices, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// One output: the per-sample sums, then the labels as float32.
	out, err := graph.ExecOnce(backend, func(x, y *graph.Node) *graph.Node {
		return graph.Concatenate([]*graph.Node{graph.ReduceSum(x, 1, 2, 3), graph.ConvertDType(y, x.DType())}, 0)
	}, images, labels)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out)
	sums, gotLabels := got[:len(indices)], got[len(indices):]
	per := len(flat) / len(indices)
	for i := range indices {
		var want float64
		for _, v := range flat[i*per : (i+1)*per] {
			want += float64(v)
		}
		if math.Abs(float64(sums[i])-want) > 1e-4 {
			t.Errorf("sample %d: graph sum %g, want %g", i, sums[i], want)
		}
		if gotLabels[i] != float32(wantLabels[i]) {
			t.Errorf("sample %d: graph label %g, want %d", i, gotLabels[i], wantLabels[i])
		}
	}
}
