package models

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/models/weights"
)

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name, model string
		opts        Options
		want        string
	}{
		{"unknown name lists valid names", "resnet50", Options{NClass: 2},
			"unknown model \"resnet50\", valid names are efficientnet_b0, mobilenet_v2, resnet18, resnet32, small_cnn"},
		{"n_class", "resnet18", Options{NClass: 0}, "n_class must be >= 1"},
		{"dropout", "resnet18", Options{NClass: 2, Dropout: 1}, "dropout must be < 1"},
		{"no imagenet weights", "small_cnn", Options{NClass: 2, Pretrained: true}, "small_cnn has no ImageNet weights"},
		{"missing local file", "resnet18", Options{NClass: 2, WeightsPath: "testdata/nope.pth"}, "nope.pth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.model, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%q) error = %v, want it to contain %q", tt.model, err, tt.want)
			}
		})
	}
}

func TestPretrainedOffline(t *testing.T) {
	dir := t.TempDir()
	_, err := Build("resnet18", Options{NClass: 2, Pretrained: true, Fetch: weights.FetchOptions{CacheDir: dir}})
	if !errors.Is(err, weights.ErrOffline) {
		t.Fatalf("error %v, want ErrOffline", err)
	}
	for _, want := range []string{"resnet18-f37072fd.pth", dir, "weights_path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("offline error %q does not mention %q", err, want)
		}
	}
}

func TestNewFromConfig(t *testing.T) {
	c := config.Defaults()
	c.NClass, c.Pretrained, c.ModelName = 4, false, "mobilenet_v2"
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "mobilenet_v2" || m.Options.NClass != 4 || m.dropout() != 0.5 {
		t.Errorf("New(config) = %+v", m)
	}
}

// TestConstruction is the conformance test over every entry of Known: it
// builds the model, runs a forward pass at 32x32 and checks the output and
// the head's variables.
func TestConstruction(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			const nClass, batch = 3, 2
			m, err := Build(name, Options{NClass: nClass})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			if err := m.Init(ctx, backend(t)); err != nil {
				t.Fatal(err)
			}
			x := tensors.FromFlatDataAndDimensions(make([]float32, batch*32*32*3), batch, 32, 32, 3)
			logits, dims, err := forward(t, m, ctx, x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dims, []int{batch, nClass}) {
				t.Fatalf("logits shape %v, want [%d %d]", dims, batch, nClass)
			}
			for _, v := range logits {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("non-finite logit %v", logits)
				}
			}
			w := ctx.GetVariableByScopeAndName("/"+ClassifierScope, ClassifierWeights)
			b := ctx.GetVariableByScopeAndName("/"+ClassifierScope, ClassifierBiases)
			if w == nil || b == nil {
				t.Fatalf("no %s/%s variables", ClassifierScope, ClassifierWeights)
			}
			f := m.Architecture().Features
			if !slices.Equal(w.Shape().Dimensions, []int{f, nClass}) || !slices.Equal(b.Shape().Dimensions, []int{nClass}) {
				t.Errorf("head shapes %v, %v; want [%d %d], [%d]", w.Shape(), b.Shape(), f, nClass, nClass)
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	want := map[string]int{"resnet18": 512, "mobilenet_v2": 1280, "efficientnet_b0": 1280, "resnet32": 64, "small_cnn": 64}
	for name, f := range want {
		if got := Known[name].Features; got != f {
			t.Errorf("%s features %d, want %d", name, got, f)
		}
	}
}

// TestParamCounts compares with torchvision 0.14's count
// (sum(p.numel() for p in model.parameters()), 1000-class head; the
// study's head ReLU -> Dropout -> Linear has the same parameters as
// torchvision's Linear/Dropout -> Linear).
func TestParamCounts(t *testing.T) {
	tests := []struct {
		model  string
		nClass int
		want   int
	}{
		{"resnet18", 1000, 11_689_512},
		{"mobilenet_v2", 1000, 3_504_872},
		{"efficientnet_b0", 1000, 5_288_548},
		// He et al. 2016 report 0.46M for ResNet-32; exact count by hand:
		// 464 + 5*4672 + 13952 + 4*18560 + 55552 + 4*73984 + 64*10 + 10.
		{"resnet32", 10, 464_154},
		// 3*16*9 + 32 + 16*32*9 + 64 + 32*64*9 + 128 + 64*10 + 10.
		{"small_cnn", 10, 24_346},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, err := CountParams(backend(t), tt.model, tt.nClass)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s parameters = %d, want %d", tt.model, got, tt.want)
			}
			if w := Known[tt.model].Weights; w != nil && w.NumParams != tt.want {
				t.Errorf("%s descriptor NumParams = %d, want %d", tt.model, w.NumParams, tt.want)
			}
		})
	}
}

// New starts the head's biases at losses.InitialBias: -log(C-1) for the
// sigmoid-based class-balanced losses (Cui et al.), torch.nn.Linear's
// uniform values otherwise.
func TestHeadBiasFromLoss(t *testing.T) {
	for _, tt := range []struct {
		family, typ string
		want        float64 // 0: uniform in +-1/sqrt(features), not all equal
	}{
		{"CB", "focal", -math.Log(2)},
		{"CB", "BCE_sigmoid", -math.Log(2)},
		{"CB", "CE", 0},
		{"baseline", "CE", 0},
	} {
		t.Run(tt.family+"/"+tt.typ, func(t *testing.T) {
			c := config.Defaults()
			c.ModelName, c.Pretrained, c.NClass, c.LossFamily, c.LossType = "small_cnn", false, 3, tt.family, tt.typ
			m, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			_, ctx := initialised(t, "small_cnn", m.Options)
			v := ctx.In(ClassifierScope).GetVariable(ClassifierBiases)
			if v == nil {
				t.Fatal("no classifier biases")
			}
			b := tensors.MustCopyFlatData[float32](v.MustValue())
			bound := 1 / math.Sqrt(float64(m.Architecture().Features))
			for _, x := range b {
				if tt.want != 0 && math.Abs(float64(x)-tt.want) > 1e-6 || tt.want == 0 && math.Abs(float64(x)) > bound {
					t.Errorf("biases %v, want %v", b, cmp.Or(tt.want, bound))
					break
				}
			}
			if tt.want == 0 && b[0] == b[1] && b[1] == b[2] {
				t.Errorf("biases %v all equal, want uniform draws", b)
			}
		})
	}
}

// The head's initial biases and the cosine head leave every other
// variable's initial value as it is: runs whose losses start the head
// apart (TestHeadBiasFromLoss) share a frozen backbone's features
// (toolkit's backboneKey).
func TestHeadBiasLeavesBackbone(t *testing.T) {
	for _, name := range []string{"small_cnn", "resnet18", "mobilenet_v2"} {
		_, a := initialised(t, name, Options{NClass: 3})
		for _, opts := range []Options{{NClass: 3, HeadBias: -math.Log(2)}, {NClass: 3, CosineScale: 30}} {
			_, b := initialised(t, name, opts)
			n := 0
			a.EnumerateVariables(func(v *context.Variable) {
				w := b.GetVariableByScopeAndName(v.Scope(), v.Name())
				if v.Shape().DType != dtypes.Float32 || w == nil {
					return
				}
				n++
				x, y := tensors.MustCopyFlatData[float32](v.MustValue()), tensors.MustCopyFlatData[float32](w.MustValue())
				if head := v.Scope() == "/"+ClassifierScope && v.Name() == ClassifierBiases; head == slices.Equal(x, y) {
					t.Errorf("%s %+v: %s/%s: head bias %v, equal values %v", name, opts, v.Scope(), v.Name(), head, !head)
				}
			})
			if n < 10 {
				t.Errorf("%s %+v: %d float32 variables compared", name, opts, n)
			}
		}
	}
}

// With Options.CosineScale the head is Cao et al.'s cosine classifier:
// logits s*cos(relu(features), W_c) (dropout is off in inference), no
// biases, and a finite gradient for a sample whose features are all 0.
func TestCosineHead(t *testing.T) {
	const s = 30
	m, ctx := initialised(t, "small_cnn", Options{NClass: 3, CosineScale: s})
	hctx := ctx.In(ClassifierScope)
	if hctx.GetVariable(ClassifierBiases) != nil {
		t.Error("the cosine head has biases")
	}
	wv := hctx.GetVariable(ClassifierWeights)
	if wv == nil {
		t.Fatal("no classifier weights")
	}
	f := m.Architecture().Features
	w := tensors.MustCopyFlatData[float32](wv.MustValue()) // [f, 3]
	features := make([][]float32, 3)
	for i := range features {
		features[i] = make([]float32, f)
		for k := range features[i] {
			features[i][k] = float32(math.Sin(float64(7*i+k))) - 0.2*float32(i)
		}
	}
	for k := range features[2] {
		features[2][k] = -1 // all zero after the ReLU
	}
	var logits, grad []float32
	err := catch(func() {
		exec, err := context.NewExecAny(backend(t), ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
			z := m.HeadFn(ctx, x)
			return []*graph.Node{z, graph.Gradient(graph.ReduceAllSum(z), x)[0]}
		})
		if err != nil {
			panic(err)
		}
		defer exec.Finalize()
		out, err := exec.Exec(features)
		if err != nil {
			panic(err)
		}
		logits, grad = tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range features {
		var xx float64
		for _, v := range row {
			xx += math.Pow(math.Max(float64(v), 0), 2)
		}
		for c := range 3 {
			var dot, ww float64
			for k, v := range row {
				dot += math.Max(float64(v), 0) * float64(w[k*3+c])
				ww += float64(w[k*3+c]) * float64(w[k*3+c])
			}
			want := 0.0
			if xx > 0 {
				want = s * dot / math.Sqrt(xx*ww)
			}
			if got := float64(logits[i*3+c]); !(math.Abs(got-want) <= 1e-4*s) {
				t.Errorf("sample %d class %d: logit %g, want %g", i, c, got, want)
			}
		}
	}
	for i, g := range grad {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("gradient %d of the features is %g", i, g)
		}
	}
}

// New pairs loss_type LDAM with the cosine head at ldam_scale, as Cao et
// al.'s code does; other losses keep the linear head.
func TestCosineScaleFromLoss(t *testing.T) {
	for _, tt := range []struct {
		family, typ string
		scale, want float64
	}{
		{"CB", "LDAM", 30, 30},
		{"CB", "LDAM", 16, 16},
		{"CB", "CE", 30, 0},
		{"LA", "CE", 30, 0},
	} {
		c := config.Defaults()
		c.ModelName, c.Pretrained, c.NClass, c.LossFamily, c.LossType, c.LDAMScale = "small_cnn", false, 3, tt.family, tt.typ, tt.scale
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		if m.Options.CosineScale != tt.want {
			t.Errorf("%s %s, ldam_scale %g: cosine scale %g, want %g", tt.family, tt.typ, tt.scale, m.Options.CosineScale, tt.want)
		}
	}
}
