package models

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"

	_ "github.com/debiaser/debiaser/toolkit/gobackend"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestMain(m *testing.M) {
	if os.Getenv("GOMLX_BACKEND") == "" {
		// gofast: SimpleGo plus the ops CNN training needs (toolkit/gobackend).
		os.Setenv("GOMLX_BACKEND", "gofast")
	}
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	os.Setenv("DEBIASER_OFFLINE", "1") // nothing downloads in tests
	os.Exit(m.Run())
}

var testBackend backends.Backend

func backend(t testing.TB) backends.Backend {
	t.Helper()
	if testBackend == nil {
		b, err := backends.New()
		if err != nil {
			t.Fatalf("backend: %v", err)
		}
		testBackend = b
	}
	return testBackend
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// forward runs m in inference mode on x (NHWC) and returns the logits.
func forward(t *testing.T, m *Model, ctx *context.Context, x *tensors.Tensor) ([]float32, []int, error) {
	t.Helper()
	var out []*tensors.Tensor
	err := catch(func() {
		exec, err := context.NewExecAny(backend(t), ctx, func(ctx *context.Context, x *Node) *Node {
			return m.Fn(ctx, nil, []*Node{x})[0]
		})
		if err != nil {
			panic(err)
		}
		defer exec.Finalize()
		out, err = exec.Exec(x)
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if len(out) != 1 {
		return nil, nil, errors.New("forward: want one output")
	}
	return tensors.MustCopyFlatData[float32](out[0]), out[0].Shape().Dimensions, nil
}

// initialised builds model name with opts and gives every variable its
// initial value (seed 7) in a new context on the test backend.
func initialised(t *testing.T, name string, opts Options) (*Model, *context.Context) {
	t.Helper()
	m, err := Build(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(7))
	if err := m.Init(ctx, backend(t)); err != nil {
		t.Fatal(err)
	}
	if err := ctx.InitializeVariables(backend(t), nil); err != nil {
		t.Fatal(err)
	}
	return m, ctx
}
