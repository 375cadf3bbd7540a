package transforms

import (
	"fmt"
	"image/color"
	"slices"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/disintegration/imaging"
)

func TestExamples(t *testing.T) {
	ds := &data.Dataset{Classes: []string{"a", "b"}}
	for i := range 5 {
		ds.Images = append(ds.Images, halves(12+i, 12))
		ds.Labels = append(ds.Labels, i%2)
		ds.Sources = append(ds.Sources, fmt.Sprintf("img%d.png", i))
	}
	p := Pipeline{Size: 10, Std: [3]float32{1, 1, 1}, HFlip: true, Degrees: 45, Mode: Eval}
	ex, err := p.Examples(ds, 3, 11)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 3 {
		t.Fatalf("%d examples, want 3", len(ex))
	}
	again, _ := p.Examples(ds, 3, 11)
	for i, e := range ex {
		idx := slices.Index(ds.Sources, e.Source)
		if idx < 0 || ds.Images[idx] != e.Before || ds.Labels[idx] != e.Label {
			t.Errorf("example %d: Before/Label/Source do not belong to one dataset image", i)
		}
		if e.After.Bounds().Dx() != 10 || e.After.Bounds().Dy() != 10 {
			t.Errorf("example %d: after is %v, want 10x10", i, e.After.Bounds())
		}
		if again[i].Source != e.Source || !slices.Equal(again[i].After.Pix, e.After.Pix) {
			t.Errorf("example %d differs with the same seed", i)
		}
	}
	// Even from an Eval pipeline the examples show the training transforms.
	rotated := 0
	for _, e := range ex {
		if !slices.Equal(imaging.Resize(e.Before, 10, 10, imaging.Linear).Pix, e.After.Pix) {
			rotated++
		}
	}
	if rotated == 0 {
		t.Error("no example changed by the training transforms")
	}
	if all, _ := p.Examples(ds, 99, 1); len(all) != 5 {
		t.Errorf("n > Len gave %d examples, want all 5", len(all))
	}
	if _, err := p.Examples(&data.Dataset{}, 2, 1); err == nil {
		t.Error("empty dataset accepted")
	}
}

// ExampleFromConfig builds the study's baseline transforms and runs one
// image through the training and evaluation pipelines.
func ExampleFromConfig() {
	cfg := config.Defaults() // image_size 224, normalize 0.5/0.5, rotate 30
	cfg.HFlip = true
	pipe, err := FromConfig(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	img := imaging.New(300, 200, color.NRGBA{200, 120, 40, 255})
	train, err := pipe.Apply(img, data.SampleRand(cfg.Seed, 0, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	eval, _ := pipe.InMode(Eval).Apply(img, nil)
	sample := make([]float32, 224*224*3)
	if err := pipe.InMode(Eval).Normalize(sample, eval); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train:", train.Bounds().Size(), "eval:", eval.Bounds().Size(), "load at:", pipe.LoadSize())
	fmt.Printf("first eval pixel normalised: %.3f %.3f %.3f\n", sample[0], sample[1], sample[2])
	// Output:
	// train: (224,224) eval: (224,224) load at: 224
	// first eval pixel normalised: 0.569 -0.059 -0.686
}

// ExamplePipeline_Examples shows a few images before and after the
// training transforms, as a notebook would.
func ExamplePipeline_Examples() {
	ds := &data.Dataset{Classes: []string{"flower"}}
	for i := range 4 {
		ds.Images = append(ds.Images, imaging.New(64, 64, color.NRGBA{uint8(60 * i), 200, 80, 255}))
		ds.Labels = append(ds.Labels, 0)
		ds.Sources = append(ds.Sources, fmt.Sprintf("flower/%d.jpg", i))
	}
	pipe := Pipeline{Size: 32, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, HFlip: true, VFlip: true, Degrees: 30}
	pairs, err := pipe.Examples(ds, 2, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pairs {
		fmt.Println(p.Source, p.Before.Bounds().Size(), "->", p.After.Bounds().Size())
	}
	// Output:
	// flower/3.jpg (64,64) -> (32,32)
	// flower/1.jpg (64,64) -> (32,32)
}
