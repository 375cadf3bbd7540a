package models

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// BenchmarkSmallCNNForward: inference on a 64x32x32x3 batch, to size
// small_cnn for CPU work (go test -bench SmallCNN -run ^$ ./toolkit/models).
func BenchmarkSmallCNNForward(b *testing.B) {
	const batch, size = 64, 32
	m, err := Build("small_cnn", Options{NClass: 10})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.New()
	exec, err := context.NewExecAny(backend(b), ctx, func(ctx *context.Context, x *Node) *Node {
		return m.Fn(ctx, nil, []*Node{x})[0]
	})
	if err != nil {
		b.Fatal(err)
	}
	x := tensors.FromFlatDataAndDimensions(make([]float32, batch*size*size*3), batch, size, size, 3)
	if _, err := exec.Exec(x); err != nil { // compile and initialise outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := exec.Exec(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}
