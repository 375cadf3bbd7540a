package transforms

import (
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/disintegration/imaging"
)

// Pipeline must satisfy data.Transform so a Batcher can use it.
var _ data.Transform = Pipeline{}

func TestFromConfig(t *testing.T) {
	cfg := config.Defaults() // 224, normalise 0.5/0.5, rotate 30
	p, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := Pipeline{Size: 224, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, Degrees: 30, Mode: Train}
	if p != want {
		t.Errorf("FromConfig(Defaults) = %+v, want %+v", p, want)
	}

	tests := []struct {
		name   string
		change func(*config.Config)
		want   func(Pipeline) bool
		errKey string
	}{
		{"one mean value for all channels", func(c *config.Config) { c.NormalizeMean = []float64{0.25} },
			func(p Pipeline) bool { return p.Mean == [3]float32{0.25, 0.25, 0.25} }, ""},
		{"three std values", func(c *config.Config) { c.NormalizeStd = []float64{0.229, 0.224, 0.225} },
			func(p Pipeline) bool { return p.Std == [3]float32{0.229, 0.224, 0.225} }, ""},
		{"no normalisation", func(c *config.Config) { c.NormalizeMean, c.NormalizeStd = nil, nil },
			func(p Pipeline) bool { return p.Mean == [3]float32{} && p.Std == [3]float32{1, 1, 1} }, ""},
		{"rotate off ignores degrees", func(c *config.Config) { c.Rotate = false },
			func(p Pipeline) bool { return p.Degrees == 0 }, ""},
		{"flips and crop", func(c *config.Config) { c.HFlip, c.VFlip, c.Crop = true, true, true },
			func(p Pipeline) bool { return p.HFlip && p.VFlip && p.Crop && p.LoadSize() == 256 }, ""},
		{"two mean values", func(c *config.Config) { c.NormalizeMean = []float64{0.5, 0.5} }, nil, "normalize_mean"},
		{"zero std", func(c *config.Config) { c.NormalizeStd = []float64{0} }, nil, "normalize_std"},
		{"zero size", func(c *config.Config) { c.ImageSize = 0 }, nil, "image_size"},
		{"degrees too large", func(c *config.Config) { c.Degrees = 200 }, nil, "degrees"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Defaults()
			tt.change(&cfg)
			p, err := FromConfig(cfg)
			if tt.errKey != "" {
				var fe *config.FieldError
				if !errors.As(err, &fe) || fe.Key != tt.errKey {
					t.Errorf("error %v, want a config.FieldError for %q", err, tt.errKey)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(p) {
				t.Errorf("unexpected pipeline %+v", p)
			}
		})
	}
}

// halves is a w x h image: left half red, right half blue, top row green.
func halves(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			if y == 0 {
				c = color.NRGBA{0, 255, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestEvalIsResizeAndCentreCrop(t *testing.T) {
	src := halves(40, 30)
	p := Pipeline{Size: 16, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, HFlip: true, VFlip: true, Degrees: 90, Mode: Eval}
	got, err := p.Apply(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := imaging.Resize(src, 16, 16, imaging.Linear); !slices.Equal(got.Pix, want.Pix) {
		t.Error("eval without crop is not a plain resize (random transforms applied?)")
	}
	p.Crop = true
	got, err = p.Apply(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := imaging.CropCenter(imaging.Resize(src, 18, 18, imaging.Linear), 16, 16); !slices.Equal(got.Pix, want.Pix) {
		t.Error("eval with crop is not resize to LoadSize then centre crop")
	}
	if p.LoadSize() != 18 { // round(16 * 256/224) = round(18.29)
		t.Errorf("LoadSize %d, want 18", p.LoadSize())
	}
}

func TestNormalize(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []uint8{0, 255, 51, 255, 255, 0, 102, 255})
	p := Pipeline{Size: 2, Mean: [3]float32{0.5, 0.5, 0.2}, Std: [3]float32{0.5, 0.5, 0.1}}
	dst := make([]float32, 6)
	if err := p.Normalize(dst, img); err != nil {
		t.Fatal(err)
	}
	want := []float32{-1, 1, 0, 1, -1, 2} // (v/255 - mean)/std, HWC
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Errorf("dst = %v, want %v", dst, want)
			break
		}
	}
	if err := p.Normalize(make([]float32, 5), img); err == nil {
		t.Error("short dst accepted")
	}
}

func TestFlipsHappenHalfTheTime(t *testing.T) {
	src := halves(8, 8)
	tests := []struct {
		name string
		p    Pipeline
		flip func(image.Image) *image.NRGBA
	}{
		{"hflip", Pipeline{Size: 8, Std: [3]float32{1, 1, 1}, HFlip: true}, imaging.FlipH},
		{"vflip", Pipeline{Size: 8, Std: [3]float32{1, 1, 1}, VFlip: true}, imaging.FlipV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flipped := tt.flip(src)
			n := 0
			const draws = 1000
			for i := range draws {
				got, err := tt.p.Apply(src, data.SampleRand(3, 0, i))
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case slices.Equal(got.Pix, flipped.Pix):
					n++
				case !slices.Equal(got.Pix, src.Pix):
					t.Fatalf("draw %d is neither the image nor its flip", i)
				}
			}
			if n < 430 || n > 570 { // 0.5 +- 4.4 standard deviations
				t.Errorf("flipped %d of %d, want about half", n, draws)
			}
		})
	}
}

func TestRotationKeepsSizeAndFillsBlack(t *testing.T) {
	white := imaging.New(32, 32, color.White)
	p := Pipeline{Size: 32, Std: [3]float32{1, 1, 1}, Degrees: 30}
	blackCorners, centreWhite := 0, 0
	var blackCounts []int
	const draws = 200
	for i := range draws {
		got, err := p.Apply(white, data.SampleRand(5, 0, i))
		if err != nil {
			t.Fatal(err)
		}
		if got.Bounds() != image.Rect(0, 0, 32, 32) {
			t.Fatalf("bounds %v, want 32x32", got.Bounds())
		}
		if c := got.NRGBAAt(0, 0); c.R < 64 && c.A == 255 {
			blackCorners++
		}
		if c := got.NRGBAAt(16, 16); c == (color.NRGBA{255, 255, 255, 255}) {
			centreWhite++
		}
		black := 0
		for j := 0; j < len(got.Pix); j += 4 {
			if got.Pix[j] == 0 {
				black++
			}
		}
		blackCounts = append(blackCounts, black)
	}
	// The corner pixel is uncovered for all but the smallest angles.
	if blackCorners < draws*8/10 {
		t.Errorf("black corner in %d of %d rotations, want most", blackCorners, draws)
	}
	if centreWhite != draws {
		t.Errorf("centre white in %d of %d rotations", centreWhite, draws)
	}
	slices.Sort(blackCounts)
	if n := len(slices.Compact(blackCounts)); n < 20 {
		t.Errorf("only %d distinct black areas over %d draws: angles not random?", n, draws)
	}
}

func TestRotationDirection(t *testing.T) {
	// With degrees 90 and a draw close to +90, counter-clockwise
	// rotation moves the green top row to the left column.
	src := halves(9, 9)
	p := Pipeline{Size: 9, Std: [3]float32{1, 1, 1}, Degrees: 90}
	for i := range 500 {
		rng := data.SampleRand(1, 0, i)
		angle := (2*data.SampleRand(1, 0, i).Float64() - 1) * 90
		if angle < 89.5 {
			continue
		}
		got, err := p.Apply(src, rng)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.NRGBAAt(0, 4); c.G < 200 {
			t.Errorf("angle %.2f: left column middle %v, want green", angle, c)
		}
		return
	}
	t.Skip("no draw close enough to +90 degrees")
}

func TestRandomResizedCropParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, b := range []image.Rectangle{image.Rect(0, 0, 256, 256), image.Rect(3, 5, 103, 305)} {
		area := float64(b.Dx() * b.Dy())
		for range 2000 {
			r := randomResizedCrop(b, rng)
			if !r.In(b) || r.Empty() {
				t.Fatalf("crop %v outside %v", r, b)
			}
			share := float64(r.Dx()*r.Dy()) / area
			ratio := float64(r.Dx()) / float64(r.Dy())
			if share < 0.07 || share > 1 || ratio < 0.7 || ratio > 1.4 {
				t.Fatalf("crop %v of %v: area share %.3f, ratio %.3f", r, b, share, ratio)
			}
		}
	}
	// An image too thin for any try falls back to the centred crop with
	// the ratio clamped to 4/3.
	if r := randomResizedCrop(image.Rect(0, 0, 400, 10), rng); r != image.Rect(193, 0, 206, 10) {
		t.Errorf("fallback crop %v, want (193,0)-(206,10)", r)
	}
}

func TestTrainCropOutput(t *testing.T) {
	p := Pipeline{Size: 16, Std: [3]float32{1, 1, 1}, Crop: true, HFlip: true}
	src := halves(p.LoadSize(), p.LoadSize())
	a, err := p.Apply(src, data.SampleRand(9, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Apply(src, data.SampleRand(9, 1, 2))
	c, _ := p.Apply(src, data.SampleRand(9, 1, 3))
	if a.Bounds() != image.Rect(0, 0, 16, 16) {
		t.Errorf("bounds %v, want 16x16", a.Bounds())
	}
	if !slices.Equal(a.Pix, b.Pix) {
		t.Error("same random source, different output")
	}
	if slices.Equal(a.Pix, c.Pix) {
		t.Error("different random sources, same crop")
	}
}

func TestApplyErrors(t *testing.T) {
	src := halves(4, 4)
	tests := []struct {
		name string
		p    Pipeline
		img  image.Image
		rng  *rand.Rand
		want string
	}{
		{"train without rng", Pipeline{Size: 4, Std: [3]float32{1, 1, 1}}, src, nil, "random source"},
		{"zero pipeline", Pipeline{}, src, rand.New(rand.NewPCG(1, 1)), "image_size"},
		{"empty image", Pipeline{Size: 4, Std: [3]float32{1, 1, 1}}, image.NewNRGBA(image.Rect(0, 0, 0, 3)), rand.New(rand.NewPCG(1, 1)), "empty image"},
		{"bad mode", Pipeline{Size: 4, Std: [3]float32{1, 1, 1}, Mode: 7}, src, nil, "Mode(7)"},
		{"nil image", Pipeline{Size: 4, Std: [3]float32{1, 1, 1}, Mode: Eval}, nil, nil, "nil image"},
		{"typed nil image", Pipeline{Size: 4, Std: [3]float32{1, 1, 1}, Mode: Eval}, (*image.NRGBA)(nil), nil, "nil image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.p.Apply(tt.img, tt.rng); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if err := (Pipeline{Size: 4, Std: [3]float32{1, 1, 1}}).Sample(make([]float32, 48), nil, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Sample of a nil image succeeded")
	}
}

func TestBatcherWithPipeline(t *testing.T) {
	ds := &data.Dataset{Classes: []string{"a", "b"}}
	for i := range 6 {
		ds.Images = append(ds.Images, halves(10, 10))
		ds.Labels = append(ds.Labels, i%2)
		ds.Sources = append(ds.Sources, "x")
	}
	p := Pipeline{Size: 8, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, HFlip: true, VFlip: true, Degrees: 20}
	b1 := &data.Batcher{Data: ds, Transform: p, Seed: 4, Workers: 1}
	b4 := &data.Batcher{Data: ds, Transform: p, Seed: 4, Workers: 4}
	idx := []int{0, 1, 2, 3, 4, 5, 0, 1}
	x1, _, err := b1.Floats(idx, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	x4, _, err := b4.Floats(idx, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x1, x4) {
		t.Error("1 and 4 workers give different batches")
	}
	lo, hi := slices.Min(x1), slices.Max(x1)
	if lo < -1 || hi > 1 || lo == hi {
		t.Errorf("normalised values in [%g, %g], want within [-1, 1]", lo, hi)
	}
}
