package models

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestComputeDType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want dtypes.DType
		err  bool
	}{
		{"", dtypes.Float32, false},
		{"float32", dtypes.Float32, false},
		{"bfloat16", dtypes.BFloat16, false},
		{"bf16", dtypes.BFloat16, false},
		{"float16", dtypes.InvalidDType, true},
	} {
		got, err := ComputeDType(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ComputeDType(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if _, err := Build("small_cnn", Options{NClass: 2, Precision: "fp8"}); err == nil || !strings.Contains(err.Error(), `"fp8"`) {
		t.Errorf("Build with precision fp8: %v, want an error naming it", err)
	}
}

// TestMixedPrecisionTrainStep: one full training step in bfloat16 of every
// model (on gofast, the CPU backend) gives a finite loss close to the
// float32 step's, changes every layer, and keeps every variable float32
// (master weights, batch-norm statistics, optimizer state).
func TestMixedPrecisionTrainStep(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			// Batch 4: with 2 samples, batch norm over a 1x1 map returns
			// exactly opposite rows and the next layers' batch means are 0.
			// No dropout: its masks are drawn in the compute dtype, so they
			// differ between the two runs.
			_, _, _, loss32 := trainStepWith(t, name, Options{NClass: 3, Full: true, Dropout: -1}, 8, 64)
			m, before, after, loss16 := trainStepWith(t, name, Options{NClass: 3, Full: true, Dropout: -1, Precision: "bfloat16"}, 8, 64)
			t.Logf("loss float32 %.5f, bfloat16 %.5f", loss32, loss16)
			if m.compute != dtypes.BFloat16 {
				t.Fatalf("compute dtype %v", m.compute)
			}
			// bfloat16 keeps 8 significant bits: the losses of the same
			// initial weights and batch agree to about a percent.
			if rel := math.Abs(float64(loss16-loss32)) / float64(loss32); rel > 0.02 {
				t.Errorf("bf16 loss %v vs float32 %v (relative difference %.3f)", loss16, loss32, rel)
			}
			checkAllChanged(t, "a bf16 training step", before, after)
		})
	}
}

// TestMixedPrecisionVariablesStayFloat32: the variables a bf16 model
// creates are float32 (the optimizer's master weights).
func TestMixedPrecisionVariablesStayFloat32(t *testing.T) {
	m, err := Build("resnet18", Options{NClass: 3, Full: true, Precision: "bfloat16"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := m.Init(ctx, backend(t)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for v := range ctx.IterVariables() {
		n++
		if v.Shape().DType != dtypes.Float32 {
			t.Errorf("variable %s is %v, want float32", v.ScopeAndName(), v.Shape().DType)
		}
	}
	if n < 100 {
		t.Errorf("only %d variables", n)
	}
}

// TestMixedPrecisionForward: bf16 logits of the same weights and input
// are close to float32's (relative L2 error), in inference mode.
func TestMixedPrecisionForward(t *testing.T) {
	for _, name := range []string{"small_cnn", "resnet18"} {
		t.Run(name, func(t *testing.T) {
			m32, err := Build(name, Options{NClass: 5})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			ctx.SetParam(context.ParamInitialSeed, int64(11))
			if err := m32.Init(ctx, backend(t)); err != nil {
				t.Fatal(err)
			}
			if err := ctx.InitializeVariables(backend(t), nil); err != nil {
				t.Fatal(err)
			}
			const batch, size = 3, 40
			pixels := make([]float32, batch*size*size*3)
			for i := range pixels {
				pixels[i] = float32(math.Cos(float64(i) * 0.113))
			}
			x := tensors.FromFlatDataAndDimensions(pixels, batch, size, size, 3)
			want, _, err := forward(t, m32, ctx, x)
			if err != nil {
				t.Fatal(err)
			}
			m16 := *m32
			m16.compute = dtypes.BFloat16
			got, dims, err := forward(t, &m16, ctx, x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dims, []int{batch, 5}) {
				t.Fatalf("logits shape %v", dims)
			}
			var num, den float64
			var sx, sy, sxx, syy, sxy float64
			for i := range want {
				d := float64(got[i] - want[i])
				num += d * d
				den += float64(want[i]) * float64(want[i])
				x, y := float64(want[i]), float64(got[i])
				sx, sy, sxx, syy, sxy = sx+x, sy+y, sxx+x*x, syy+y*y, sxy+x*y
			}
			rel := math.Sqrt(num / den)
			nn := float64(len(want))
			corr := (sxy - sx*sy/nn) / math.Sqrt((sxx-sx*sx/nn)*(syy-sy*sy/nn))
			t.Logf("%s: relative L2 error of bf16 logits %.4f, correlation %.5f, logits %v vs %v", name, rel, corr, got[:5], want[:5])
			if rel > 0.05 || rel == 0 {
				t.Errorf("relative L2 error of bf16 logits %.4g (want (0, 0.05])", rel)
			}
		})
	}
}
