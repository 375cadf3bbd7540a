package data

import (
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// probe is a Transform that copies pixels/255 and puts one random draw in
// the first value, so tests can see both the data and the randomness.
type probe struct{ size int }

func (p probe) OutputSize() (int, int) { return p.size, p.size }

func (p probe) Sample(dst []float32, img *image.NRGBA, rng *rand.Rand) error {
	if img.Bounds().Dx() != p.size {
		return errors.New("wrong size")
	}
	for i := range p.size * p.size {
		for c := range 3 {
			dst[3*i+c] = float32(img.Pix[4*i+c]) / 255
		}
	}
	dst[0] = rng.Float32()
	return nil
}

func tinyDataset(n int) *Dataset {
	ds := &Dataset{Classes: []string{"a", "b", "c"}}
	for i := range n {
		ds.Images = append(ds.Images, solid(2, 2, color.NRGBA{uint8(10 * i), 0, 255, 255}))
		ds.Labels = append(ds.Labels, i%3)
		ds.Sources = append(ds.Sources, "img"+string(rune('a'+i)))
	}
	return ds
}

func TestBatcherFloats(t *testing.T) {
	ds := tinyDataset(10)
	indices := []int{3, 3, 9, 0, 5, 7}
	per := 2 * 2 * 3
	b := &Batcher{Data: ds, Transform: probe{2}, Seed: 42}
	images, labels, err := b.Floats(indices, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, idx := range indices {
		if labels[i] != int32(ds.Labels[idx]) {
			t.Errorf("label %d = %d, want %d", i, labels[i], ds.Labels[idx])
		}
		if got, want := images[i*per+3], float32(10*idx)/255; got != want {
			t.Errorf("sample %d: red %g, want %g (image %d)", i, got, want, idx)
		}
	}
	if images[0] == images[per] {
		t.Error("the same image at two positions drew the same randomness")
	}

	// Same result on any number of workers, and for a batch cut out of
	// the middle of the epoch at its position.
	for _, workers := range []int{1, 3, 16} {
		b2 := &Batcher{Data: ds, Transform: probe{2}, Seed: 42, Workers: workers}
		again, _, err := b2.Floats(indices, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(again, images) {
			t.Errorf("workers %d: batch differs", workers)
		}
		part, _, err := b2.Floats(indices[2:5], 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(part, images[2*per:5*per]) {
			t.Errorf("workers %d: batch at position 2 differs from the same samples in the full batch", workers)
		}
	}
	other, _, _ := b.Floats(indices, 2, 0)
	if other[0] == images[0] {
		t.Error("epochs 1 and 2 drew the same randomness")
	}
	b.Seed = 43
	other, _, _ = b.Floats(indices, 1, 0)
	if other[0] == images[0] {
		t.Error("seeds 42 and 43 drew the same randomness")
	}
}

func TestBatcherTensors(t *testing.T) {
	ds := tinyDataset(5)
	b := &Batcher{Data: ds, Transform: probe{2}, Seed: 1}
	indices := []int{4, 1, 2}
	images, labels, err := b.Tensors(indices, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if images.DType() != dtypes.Float32 || !slices.Equal(images.Shape().Dimensions, []int{3, 2, 2, 3}) {
		t.Errorf("images %s, want float32[3 2 2 3]", images.Shape())
	}
	if labels.DType() != dtypes.Int32 || !slices.Equal(labels.Shape().Dimensions, []int{3}) {
		t.Errorf("labels %s, want int32[3]", labels.Shape())
	}
	wantImages, wantLabels, err := b.Floats(indices, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](images); !slices.Equal(got, wantImages) {
		t.Error("tensor images differ from Floats")
	}
	if got := tensors.MustCopyFlatData[int32](labels); !slices.Equal(got, wantLabels) {
		t.Errorf("tensor labels %v, want %v", got, wantLabels)
	}
}

func TestBatcherErrors(t *testing.T) {
	ds := tinyDataset(4)
	ds.Images[2] = solid(3, 3, color.NRGBA{A: 255})
	tests := []struct {
		name    string
		b       *Batcher
		indices []int
		want    string
	}{
		{"index out of range", &Batcher{Data: ds, Transform: probe{2}}, []int{0, 4}, "index 4 out of range"},
		{"negative index", &Batcher{Data: ds, Transform: probe{2}}, []int{-1}, "index -1"},
		{"no transform", &Batcher{Data: ds}, []int{0}, "needs Data and Transform"},
		{"no data", &Batcher{Transform: probe{2}}, []int{0}, "needs Data and Transform"},
		{"transform fails", &Batcher{Data: ds, Transform: probe{2}}, []int{0, 2}, "sample 2 (imgc): wrong size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := tt.b.Floats(tt.indices, 0, 0); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Floats: error %v, want one containing %q", err, tt.want)
			}
			if _, _, err := tt.b.Tensors(tt.indices, 0, 0); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Tensors: error %v, want one containing %q", err, tt.want)
			}
		})
	}
	b := &Batcher{Data: ds, Transform: probe{2}}
	if err := b.Fill(make([]float32, 5), make([]int32, 1), []int{0}, 0, 0); err == nil {
		t.Error("Fill into a short buffer succeeded")
	}
}
