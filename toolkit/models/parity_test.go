package models

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// parityTolerance is the bound: max |ours - torchvision| over the
// logits, relative to max |torchvision|.
const parityTolerance = 1e-4

// fixtureArchs are the reduced-width variants gen_fixtures.py builds from
// torchvision's own classes (see testdata/gen_fixtures.py): same code paths
// as the full models, small enough to commit.
var fixtureArchs = map[string]*Architecture{
	"resnet18": resNetArch("resnet18", resNetSpec{Stem: 8, Widths: []int{8, 16, 32, 64}, Blocks: []int{1, 1, 1, 1}}, nil),
	"mobilenet_v2": mobileNetV2Arch("mobilenet_v2",
		mobileNetV2Spec{WidthMult: 0.25, Stages: mobileNetV2Spec1.Stages}, nil),
	"efficientnet_b0": efficientNetArch("efficientnet_b0",
		efficientNetSpec{WidthMult: 0.25, DepthMult: 0.5, StochasticDepth: 0.2, Stages: efficientNetB0Spec.Stages}, nil),
	// Not torchvision models: compared with the reference PyTorch ports in
	// gen_fixtures.py (ResNet-14: ResNet-32's code with 2 blocks a stage).
	"resnet_cifar": resNetCIFARArch("resnet32", resNetCIFARSpec{Widths: []int{16, 32, 64}, Blocks: 2}),
	"small_cnn":    smallCNN,
}

// fixtureNames are the fixture files, in test order; fullSize maps them to
// the architecture in Known that `gen_fixtures.py --full` builds.
var (
	fixtureNames = []string{"resnet18", "mobilenet_v2", "efficientnet_b0", "resnet_cifar", "small_cnn"}
	fullSize     = map[string]string{"resnet18": "resnet18", "mobilenet_v2": "mobilenet_v2",
		"efficientnet_b0": "efficientnet_b0", "resnet_cifar": "resnet32", "small_cnn": "small_cnn"}
)

const fixtureClasses = 5

// trainModeTolerance is looser than parityTolerance: in training mode the
// last batch norms see 2 values per channel (batch 2, 1x1 maps), which
// amplifies rounding differences (7e-5 seen for MobileNetV2).
const trainModeTolerance = 1e-3

// checkParity loads <dir>/<name>.weights.<ext> into arch, runs the fixture
// input and compares with torchvision's logits.
func checkParity(t *testing.T, arch *Architecture, dir, name, ext string) {
	t.Helper()
	m, ctx, io := loadFixture(t, arch, dir, name, Options{WeightsPath: filepath.Join(dir, name+".weights."+ext)})
	in, want := io.Tensors["input"], io.Tensors["logits"]
	got, dims, err := forward(t, m, ctx, tensors.FromFlatDataAndDimensions(in.Data, in.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	if dims[0] != want.Shape[0] || dims[1] != want.Shape[1] {
		t.Fatalf("logits shape %v, torchvision %v", dims, want.Shape)
	}
	compare(t, fmt.Sprintf("%s (%s, input %v) logits", name, ext, in.Shape), got, want.Data, parityTolerance)
}

// loadFixture builds arch with opts (NClass set to the fixtures'), loads
// its weights into a new context and reads <dir>/<name>.io.safetensors,
// the fixture's input and torchvision's outputs.
func loadFixture(t *testing.T, arch *Architecture, dir, name string, opts Options) (*Model, *context.Context, *weights.StateDict) {
	t.Helper()
	opts.NClass = fixtureClasses
	m, err := newModel(arch, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := m.Init(ctx, backend(t)); err != nil {
		t.Fatal(err)
	}
	io, err := weights.Read(filepath.Join(dir, name+".io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return m, ctx, io
}

// compare checks max |got - want| / max |want| <= tol.
func compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, torchvision %d", what, len(got), len(want))
	}
	maxDiff, maxRef := 0.0, 0.0
	for i := range got {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
	}
	rel := maxDiff / maxRef
	t.Logf("%s: max |diff| %.3g, max |ref| %.3g, relative %.3g", what, maxDiff, maxRef, rel)
	if rel > tol {
		t.Errorf("%s differ from torchvision by %.3g relative (max |diff| %.3g), want <= %g\n got %v\nwant %v",
			what, rel, maxDiff, tol, got, want)
	}
}

// TestParityTrainMode runs the fixtures in training mode (full=true, no
// dropout; the fixture also turned off stochastic depth): batch norm must
// normalise with the batch statistics and update its running averages as
// torchvision's does. Forward only, so it runs on SimpleGo.
func TestParityTrainMode(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			arch := fixtureArchs[name]
			if name == "efficientnet_b0" {
				arch = efficientNetArch(name, efficientNetSpec{WidthMult: 0.25, DepthMult: 0.5, Stages: efficientNetB0Spec.Stages}, nil)
			}
			checkTrainParity(t, arch, "testdata", name, Options{})
		})
	}
}

// TestParityTrainModeVariants: ResNet-18's graph variants (the backend's
// batch-norm op, the mask max pool) match PyTorch's training-mode logits
// and running statistics as the default graph does.
func TestParityTrainModeVariants(t *testing.T) {
	for _, knobs := range []Options{{BatchNorm: BatchNormOp}, {MaxPoolMasks: true}, {BatchNorm: BatchNormOp, MaxPoolMasks: true}} {
		t.Run(fmt.Sprintf("bn=%s,poolmask=%v", knobs.BatchNorm, knobs.MaxPoolMasks), func(t *testing.T) {
			checkTrainParity(t, fixtureArchs["resnet18"], "testdata", "resnet18", knobs)
		})
	}
}

// checkTrainParity is checkParity in training mode; arch must have no
// stochastic depth. knobs gives the graph-formulation options.
func checkTrainParity(t *testing.T, arch *Architecture, dir, name string, knobs Options) {
	t.Helper()
	m, ctx, io := loadFixture(t, arch, dir, name, Options{Full: true, Dropout: -1,
		WeightsPath: filepath.Join(dir, name+".weights.safetensors"),
		BatchNorm:   knobs.BatchNorm, MaxPoolMasks: knobs.MaxPoolMasks})
	in := io.Tensors["input"]
	var out []*tensors.Tensor
	err := catch(func() {
		exec, err := context.NewExecAny(backend(t), ctx, func(ctx *context.Context, x *Node) *Node {
			ctx.SetTraining(x.Graph(), true)
			return m.Fn(ctx, nil, []*Node{x})[0]
		})
		if err != nil {
			panic(err)
		}
		defer exec.Finalize()
		if out, err = exec.Exec(tensors.FromFlatDataAndDimensions(in.Data, in.Shape...)); err != nil {
			panic(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, name+" training-mode logits", tensors.MustCopyFlatData[float32](out[0]), io.Tensors["logits_train"].Data, trainModeTolerance)
	var gotStats, wantStats []float32
	n := 0
	for _, key := range io.Keys() {
		torchKey, ok := strings.CutPrefix(key, "after.")
		if !ok {
			continue
		}
		i := strings.LastIndexByte(torchKey, '.')
		scope := "/" + strings.ReplaceAll(torchKey[:i], ".", "/")
		v := ctx.GetVariableByScopeAndName(scope, torchKey[i+1:])
		if v == nil {
			t.Fatalf("no variable for %s", torchKey)
		}
		gotStats = append(gotStats, tensors.MustCopyFlatData[float32](v.MustValue())...)
		wantStats = append(wantStats, io.Tensors[key].Data...)
		n++
	}
	if n == 0 {
		t.Fatal("fixture has no running statistics")
	}
	compare(t, fmt.Sprintf("%s running statistics (%d tensors) after one step", name, n), gotStats, wantStats, trainModeTolerance)
}

func TestParityFixtures(t *testing.T) {
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) { checkParity(t, fixtureArchs[name], "testdata", name, "safetensors") })
	}
	t.Run("resnet18_pth", func(t *testing.T) { checkParity(t, fixtureArchs["resnet18"], "testdata", "resnet18", "pth") })
	t.Run("resnet18_legacy_pth", func(t *testing.T) {
		checkParity(t, fixtureArchs["resnet18"], "testdata", "resnet18", "legacy.pth")
	})
}

// TestParityFullSize compares the full-size architectures from Known with
// fixtures made by `gen_fixtures.py --full DIR` (47 MB for ResNet-18, so
// not committed). Set MODELS_FULL_FIXTURES=DIR to run it.
func TestParityFullSize(t *testing.T) {
	dir := os.Getenv("MODELS_FULL_FIXTURES")
	if dir == "" {
		t.Skip("set MODELS_FULL_FIXTURES to the directory written by gen_fixtures.py --full")
	}
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) { checkParity(t, Known[fullSize[name]], dir, name, "safetensors") })
	}
	t.Run("resnet18_pth", func(t *testing.T) { checkParity(t, Known["resnet18"], dir, "resnet18", "pth") })
	for _, name := range fixtureNames {
		t.Run(name+"_train_mode", func(t *testing.T) {
			arch := Known[fullSize[name]]
			if name == "efficientnet_b0" {
				spec := efficientNetB0Spec
				spec.StochasticDepth = 0
				arch = efficientNetArch(name, spec, nil)
			}
			checkTrainParity(t, arch, dir, name, Options{})
		})
	}
}
