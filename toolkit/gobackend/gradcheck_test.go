package gobackend

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// mustBackend returns a gofast backend with the given config ("" or "emulate").
func mustBackend(t testing.TB, config string) backends.Backend {
	t.Helper()
	b, err := NewBackend(config)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randTensor returns a float64 tensor of the given dims with values in [-1, 1).
func randTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	flat := make([]float64, n)
	for i := range flat {
		flat[i] = 2*rng.Float64() - 1
	}
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}

// lossFn maps inputs to a tensor; checkGradients reduces it to the scalar sum(f(inputs) * w) with a
// fixed random w, so every output element's gradient is exercised.
type lossFn func(inputs []*Node) *Node

// checkGradients compares graph autodiff against central finite differences (float64) at up to
// `samples` random coordinates of every input, and returns the autodiff gradients.
func checkGradients(t *testing.T, backend backends.Backend, f lossFn, inputs []*tensors.Tensor, samples int, tol float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	var weights *tensors.Tensor
	loss := func(ins []*Node) *Node {
		out := f(ins)
		if weights == nil {
			weights = randTensor(rng, out.Shape().Dimensions...)
		}
		return ReduceAllSum(Mul(out, Const(out.Graph(), weights)))
	}
	// Build once to fix the weights' shape.
	if _, err := ExecOnce(backend, func(ins []*Node) *Node { return loss(ins) }, anySlice(inputs)...); err != nil {
		t.Fatalf("forward: %v", err)
	}
	gradExec, err := NewExec(backend, func(ins []*Node) []*Node {
		return Gradient(loss(ins), ins...)
	})
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gradExec.Exec(anySlice(inputs)...)
	if err != nil {
		t.Fatalf("gradient: %v", err)
	}
	lossExec, err := NewExec(backend, func(ins []*Node) *Node { return loss(ins) })
	if err != nil {
		t.Fatal(err)
	}
	eval := func(ins []*tensors.Tensor) float64 {
		out, err := lossExec.Exec(anySlice(ins)...)
		if err != nil {
			t.Fatalf("loss: %v", err)
		}
		return out[0].Value().(float64)
	}
	const h = 1e-5
	for i, in := range inputs {
		base := tensors.MustCopyFlatData[float64](in)
		grad := tensors.MustCopyFlatData[float64](grads[i])
		for s := 0; s < min(samples, len(base)); s++ {
			j := rng.IntN(len(base))
			if samples >= len(base) {
				j = s
			}
			perturbed := func(delta float64) float64 {
				flat := append([]float64(nil), base...)
				flat[j] += delta
				ins := append([]*tensors.Tensor(nil), inputs...)
				ins[i] = tensors.FromFlatDataAndDimensions(flat, in.Shape().Dimensions...)
				return eval(ins)
			}
			numeric := (perturbed(h) - perturbed(-h)) / (2 * h)
			if diff := math.Abs(numeric - grad[j]); diff > tol*(1+math.Abs(numeric)) {
				t.Errorf("input #%d element %d: autodiff %.8g, finite differences %.8g", i, j, grad[j], numeric)
			}
		}
	}
}

func anySlice(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}
