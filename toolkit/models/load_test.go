package models

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

// writeSafetensors writes sd as float32 safetensors.
func writeSafetensors(t *testing.T, path string, tensors map[string]*weights.Tensor) {
	t.Helper()
	keys := make([]string, 0, len(tensors))
	for k := range tensors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	header := map[string]any{}
	var data []byte
	for _, k := range keys {
		tt := tensors[k]
		start := len(data)
		for _, v := range tt.Data {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[k] = map[string]any{"dtype": "F32", "shape": tt.Shape, "data_offsets": []int{start, len(data)}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadInto builds arch with weights at path and runs Init, returning its
// error; a panic fails the test.
func loadInto(t *testing.T, arch *Architecture, path string) error {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic loading %s: %v", path, r)
		}
	}()
	m, err := newModel(arch, Options{NClass: fixtureClasses, WeightsPath: path})
	if err != nil {
		return err
	}
	return m.Init(context.New(), backend(t))
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	fixture, err := weights.Read("testdata/resnet18.weights.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, edit func(m map[string]*weights.Tensor)) string {
		m := map[string]*weights.Tensor{}
		for k, v := range fixture.Tensors {
			m[k] = v
		}
		edit(m)
		path := filepath.Join(dir, name+".safetensors")
		writeSafetensors(t, path, m)
		return path
	}
	truncate := func(src string, keep float64) string {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("truncated-%g-%s", keep, filepath.Base(src)))
		if err := os.WriteFile(path, raw[:int(float64(len(raw))*keep)], 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	garbage := filepath.Join(dir, "garbage.pth")
	if err := os.WriteFile(garbage, []byte("this is not a state dict"), 0o644); err != nil {
		t.Fatal(err)
	}
	resnet := fixtureArchs["resnet18"]
	tests := []struct {
		name string
		arch *Architecture
		path string
		want []string
	}{
		{"wrong architecture", resnet, "testdata/mobilenet_v2.weights.safetensors",
			[]string{`missing parameter "conv1.weight"`, "not a resnet18 state dict"}},
		{"wrong shapes (reduced weights, full ResNet-18)", Known["resnet18"], "testdata/resnet18.weights.safetensors",
			[]string{`parameter "conv1.weight" has shape [8 3 7 7]`, "needs [64 3 7 7]"}},
		{"missing key", resnet, variant("missing", func(m map[string]*weights.Tensor) { delete(m, "layer3.0.bn2.running_var") }),
			[]string{`missing parameter "layer3.0.bn2.running_var"`, "/layer3/0/bn2/running_var"}},
		{"unexpected key (deeper network)", resnet, variant("extra", func(m map[string]*weights.Tensor) {
			m["layer1.1.conv1.weight"] = m["layer1.0.conv1.weight"]
		}), []string{"has no parameter layer1.1.conv1.weight"}},
		{"wrong head shape", resnet, variant("head", func(m map[string]*weights.Tensor) {
			m["fc.2.weight"] = &weights.Tensor{Shape: []int{7, 64}, Data: make([]float32, 7*64)}
		}), []string{`parameter "fc.2.weight" has shape [7 64]`, "needs [5 64]"}},
		{"truncated safetensors", resnet, truncate("testdata/resnet18.weights.safetensors", 0.6),
			[]string{"data offsets", "outside the", "truncated file?"}},
		{"truncated header", resnet, truncate("testdata/resnet18.weights.safetensors", 0.001),
			[]string{"truncated"}},
		{"truncated pth", resnet, truncate("testdata/resnet18.weights.pth", 0.6),
			[]string{"resnet18.weights.pth", "truncated or corrupt zip archive"}},
		{"truncated legacy pth", resnet, truncate("testdata/resnet18.weights.legacy.pth", 0.6),
			[]string{"resnet18.weights.legacy.pth"}},
		{"not a weights file", resnet, garbage, []string{"garbage.pth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadInto(t, tt.arch, tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("error: %v", err)
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

// TestImageNetHeadSkipped loads a torchvision-style file whose head is the
// 1000-class "fc" (as in the official ImageNet files): the backbone loads,
// the head is new.
func TestImageNetHeadSkipped(t *testing.T) {
	fixture, err := weights.Read("testdata/resnet18.weights.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*weights.Tensor{}
	for k, v := range fixture.Tensors {
		if !strings.HasPrefix(k, "fc.") {
			m[k] = v
		}
	}
	m["fc.weight"] = &weights.Tensor{Shape: []int{1000, 64}, Data: make([]float32, 64000)}
	m["fc.bias"] = &weights.Tensor{Shape: []int{1000}, Data: make([]float32, 1000)}
	path := filepath.Join(t.TempDir(), "imagenet-style.safetensors")
	writeSafetensors(t, path, m)
	model, err := newModel(fixtureArchs["resnet18"], Options{NClass: 3, WeightsPath: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := model.Init(ctx, backend(t)); err != nil {
		t.Fatal(err)
	}
	conv := ctx.GetVariableByScopeAndName("/layer2/0/conv1", "weight")
	if conv == nil || !conv.HasValue() {
		t.Fatal("backbone variable not loaded")
	}
	if w := ctx.GetVariableByScopeAndName("/"+ClassifierScope, ClassifierWeights); w == nil || w.HasValue() {
		t.Error("head should be a new, not-yet-initialised variable")
	}
}

// TestLoadInSubScope: the model may live below the root scope; PyTorch
// names map relative to the scope Fn is called in.
func TestLoadInSubScope(t *testing.T) {
	m, err := newModel(fixtureArchs["resnet18"], Options{NClass: fixtureClasses,
		WeightsPath: "testdata/resnet18.weights.safetensors"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := m.Init(ctx.In("net"), backend(t)); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ scope, name string }{
		{"/net/layer1/0/conv1", "weight"},
		{"/net/" + ClassifierScope, ClassifierWeights}, // loaded from the fixture's fc.2
	} {
		if got := ctx.GetVariableByScopeAndName(v.scope, v.name); got == nil || !got.HasValue() {
			t.Errorf("%s/%s not loaded", v.scope, v.name)
		}
	}
	if n := ParamsIn(ctx.In("net")); n != 78637 { // torchvision's count for the fixture (gen_fixtures.py output)
		t.Errorf("ParamsIn = %d, want 78637", n)
	}
}

// A file with the study's linear head (weights and biases) does not load
// into a cosine head (loss_type LDAM): the error says why. Without the
// head's biases it loads.
func TestCosineHeadLoad(t *testing.T) {
	fixture, err := weights.Read("testdata/resnet18.weights.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if fixture.Tensors["fc.2.bias"] == nil || fixture.Tensors["fc.2.weight"] == nil {
		t.Fatalf("the fixture has no study head: %v", fixture.Keys())
	}
	load := func(name string, dropBias bool) error {
		m := map[string]*weights.Tensor{}
		for k, v := range fixture.Tensors {
			if !(dropBias && k == "fc.2.bias") {
				m[k] = v
			}
		}
		path := filepath.Join(t.TempDir(), name+".safetensors")
		writeSafetensors(t, path, m)
		model, err := newModel(fixtureArchs["resnet18"], Options{NClass: fixtureClasses, WeightsPath: path, CosineScale: 30})
		if err != nil {
			return err
		}
		return model.Init(context.New(), backend(t))
	}
	if err := load("linear-head", false); err == nil || !strings.Contains(err.Error(), "cosine head") || !strings.Contains(err.Error(), "fc.2.bias") {
		t.Errorf("linear head into a cosine head: %v", err)
	}
	if err := load("no-bias", true); err != nil {
		t.Errorf("head weights without biases: %v", err)
	}
}
