package benchnet_test

import (
	"testing"

	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/gobackend/internal/benchnet"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestModelsBuild runs every benchmark network's forward pass on a tiny batch and checks the logits.
func TestModelsBuild(t *testing.T) {
	backend, err := gobackend.NewBackend("")
	if err != nil {
		t.Fatal(err)
	}
	for name, model := range benchnet.Known {
		t.Run(name, func(t *testing.T) {
			ctx := context.New()
			exec, err := context.NewExec(backend, ctx, func(ctx *context.Context, x *Node) *Node {
				return model(ctx, nil, []*Node{x})[0]
			})
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Exec(tensors.FromShape(shapes.Make(dtypes.Float32, 2, 32, 32, 3)))
			if err != nil {
				t.Fatal(err)
			}
			if want := shapes.Make(dtypes.Float32, 2, benchnet.NumClasses); !out[0].Shape().Equal(want) {
				t.Errorf("logits %s, want %s", out[0].Shape(), want)
			}
		})
	}
}
