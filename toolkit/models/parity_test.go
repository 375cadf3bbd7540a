package models

import (
	"math"
	"os"
	"path/filepath"
	"testing"

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
}

const fixtureClasses = 5

// checkParity loads <dir>/<name>.weights.<ext> into arch, runs the fixture
// input and compares with torchvision's logits.
func checkParity(t *testing.T, arch *Architecture, dir, name, ext string) {
	t.Helper()
	m, err := newModel(arch, Options{NClass: fixtureClasses, WeightsPath: filepath.Join(dir, name+".weights."+ext)})
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
	in, want := io.Tensors["input"], io.Tensors["logits"]
	got, dims, err := forward(t, m, ctx, tensors.FromFlatDataAndDimensions(in.Data, in.Shape...))
	if err != nil {
		t.Fatal(err)
	}
	if dims[0] != want.Shape[0] || dims[1] != want.Shape[1] {
		t.Fatalf("logits shape %v, torchvision %v", dims, want.Shape)
	}
	maxDiff, maxRef := 0.0, 0.0
	for i := range got {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want.Data[i])))
		maxRef = math.Max(maxRef, math.Abs(float64(want.Data[i])))
	}
	rel := maxDiff / maxRef
	t.Logf("%s (%s, input %v): max |diff| %.3g, max |logit| %.3g, relative %.3g", name, ext, in.Shape, maxDiff, maxRef, rel)
	if rel > parityTolerance {
		t.Errorf("%s: logits differ from torchvision by %.3g relative (max |diff| %.3g), want <= %g\n got %v\nwant %v",
			name, rel, maxDiff, parityTolerance, got, want.Data)
	}
}

func TestParityFixtures(t *testing.T) {
	for _, name := range []string{"resnet18", "mobilenet_v2", "efficientnet_b0"} {
		t.Run(name, func(t *testing.T) { checkParity(t, fixtureArchs[name], "testdata", name, "safetensors") })
	}
	t.Run("resnet18_pth", func(t *testing.T) { checkParity(t, fixtureArchs["resnet18"], "testdata", "resnet18", "pth") })
}

// TestParityFullSize compares the full-size architectures from Known with
// fixtures made by `gen_fixtures.py --full DIR` (47 MB for ResNet-18, so
// not committed). Set MODELS_FULL_FIXTURES=DIR to run it.
func TestParityFullSize(t *testing.T) {
	dir := os.Getenv("MODELS_FULL_FIXTURES")
	if dir == "" {
		t.Skip("set MODELS_FULL_FIXTURES to the directory written by gen_fixtures.py --full")
	}
	for _, name := range []string{"resnet18", "mobilenet_v2", "efficientnet_b0"} {
		t.Run(name, func(t *testing.T) { checkParity(t, Known[name], dir, name, "safetensors") })
	}
	t.Run("resnet18_pth", func(t *testing.T) { checkParity(t, Known["resnet18"], dir, "resnet18", "pth") })
}
