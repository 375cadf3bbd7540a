package gobackend

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestDotGeneralMatchesSimpleGo checks matrix products in every transposition (forward and the two
// gradients of a dense layer) against SimpleGo, at a size that takes the GEMM path.
func TestDotGeneralMatchesSimpleGo(t *testing.T) {
	const m, k, n = 70, 130, 40 // m*k*n > minGEMMWork, with edge tiles.
	rng := rand.New(rand.NewPCG(9, 9))
	mk, kn := toF32(randTensor(rng, m, k)), toF32(randTensor(rng, k, n))
	tests := []struct {
		name string
		f    func(a, b *Node) *Node
		a, b []int // dims
	}{
		{"[m,k]x[k,n]", func(a, b *Node) *Node { return DotGeneral(a, []int{1}, nil, b, []int{0}, nil) }, []int{m, k}, []int{k, n}},
		{"[k,m]x[k,n]", func(a, b *Node) *Node { return DotGeneral(a, []int{0}, nil, b, []int{0}, nil) }, []int{k, m}, []int{k, n}},
		{"[m,k]x[n,k]", func(a, b *Node) *Node { return DotGeneral(a, []int{1}, nil, b, []int{1}, nil) }, []int{m, k}, []int{n, k}},
		{"[k,m]x[n,k]", func(a, b *Node) *Node { return DotGeneral(a, []int{0}, nil, b, []int{1}, nil) }, []int{k, m}, []int{n, k}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var outs [][]*tensors.Tensor
			for _, b := range []backends.Backend{mustBackend(t, ""), simplego.GetBackend()} {
				out, err := ExecOnce(b, tt.f, tensors.FromFlatDataAndDimensions(mk, tt.a...), tensors.FromFlatDataAndDimensions(kn, tt.b...))
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, []*tensors.Tensor{out})
			}
			assertClose(t, outs[0], outs[1])
		})
	}
}
