package devaug

import (
	"image"
	"image/color"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

var (
	backendOnce sync.Once
	backend     backends.Backend
	backendErr  error
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	backendOnce.Do(func() { backend, backendErr = gobackend.NewBackend("") })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backend
}

// testImages makes n size x size images with a different value in every
// pixel and channel (so a wrong pixel, channel or flip shows), stored
// with an offset origin and padded stride where odd is set.
func testImages(n, size int) *data.Dataset {
	ds := &data.Dataset{Classes: []string{"a", "b"}}
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, size, size))
		for y := range size {
			for x := range size {
				img.SetNRGBA(x, y, color.NRGBA{uint8(x*7 + i*31), uint8(y*5 + x*3), uint8(i*53 + y*11), 255})
			}
		}
		ds.Images = append(ds.Images, img)
		ds.Labels = append(ds.Labels, i%2)
		ds.Sources = append(ds.Sources, "img"+string(rune('0'+i%10))+".png")
	}
	return ds
}

// The device batch equals the host batch value for value, for each
// transform alone and together, odd and even sizes, with a batch that
// repeats and reorders samples.
func TestAugmentEqualsHost(t *testing.T) {
	norm := transforms.Pipeline{Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
	tests := []struct {
		name         string
		size         int
		hflip, vflip bool
		degrees      float64
	}{
		{"normalise only", 16, false, false, 0},
		{"hflip", 16, true, false, 0},
		{"vflip", 16, false, true, 0},
		{"rotate 30", 16, false, false, 30},
		{"rotate 180 odd size", 15, false, false, 180},
		{"flips and rotate 30", 24, true, true, 30},
		{"flips and rotate 45 odd size", 17, true, true, 45},
	}
	b := testBackend(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := norm
			p.Size, p.HFlip, p.VFlip, p.Degrees = tt.size, tt.hflip, tt.vflip, tt.degrees
			ds := testImages(6, tt.size)
			a, err := New(b, ds, p, 7)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			host := data.Batcher{Data: ds, Transform: p, Seed: 7}
			indices := []int{3, 0, 5, 3, 1, 2, 4, 1}
			for epoch := range 3 {
				want, wantLabels, err := host.Floats(indices, epoch, 8*epoch+1)
				if err != nil {
					t.Fatal(err)
				}
				img, labels, err := a.Tensors(indices, epoch, 8*epoch+1)
				if err != nil {
					t.Fatal(err)
				}
				got := tensors.MustCopyFlatData[float32](img)
				gotLabels := tensors.MustCopyFlatData[int32](labels)
				img.FinalizeAll()
				if len(got) != len(want) {
					t.Fatalf("epoch %d: %d values, want %d", epoch, len(got), len(want))
				}
				diff := 0
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						if diff == 0 {
							t.Errorf("epoch %d: value %d (sample %d) = %v, host %v", epoch, i, i/(3*tt.size*tt.size), got[i], want[i])
						}
						diff++
					}
				}
				if diff > 0 {
					t.Errorf("epoch %d: %d of %d values differ from the host", epoch, diff, len(got))
				}
				for i := range gotLabels {
					if gotLabels[i] != wantLabels[i] {
						t.Errorf("label %d = %d, want %d", i, gotLabels[i], wantLabels[i])
					}
				}
			}
		})
	}
}

// Stored images of another size are resized as the host resizes them.
func TestAugmentResizesLikeHost(t *testing.T) {
	p := transforms.Pipeline{Size: 12, Std: [3]float32{1, 1, 1}, HFlip: true, Degrees: 20}
	ds := testImages(3, 20)
	a, err := New(testBackend(t), ds, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	want, _, err := (&data.Batcher{Data: ds, Transform: p, Seed: 1}).Floats([]int{0, 1, 2}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := a.Tensors([]int{0, 1, 2}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](img)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("value %d = %v, host %v", i, got[i], want[i])
		}
	}
	if n := a.StoreBytes(); n != 3*12*12*3+3 {
		t.Errorf("StoreBytes = %d, want %d", n, 3*12*12*3+3)
	}
}

func TestErrors(t *testing.T) {
	ok := transforms.Pipeline{Size: 8, Std: [3]float32{1, 1, 1}}
	b := testBackend(t)
	ds := testImages(2, 8)
	withCrop := ok
	withCrop.Crop = true
	for _, tt := range []struct {
		name string
		p    transforms.Pipeline
		ds   *data.Dataset
		want string
	}{
		{"crop, images of two sizes", withCrop, &data.Dataset{Images: []*image.NRGBA{testImages(1, 8).Images[0], testImages(1, 9).Images[0]}, Labels: []int{0, 1}}, "one size"},
		{"crop, transparent image", withCrop, transparent(testImages(2, withCrop.LoadSize())), "opaque"},
		{"eval mode", ok.InMode(transforms.Eval), ds, "Train mode"},
		{"no images", ok, &data.Dataset{}, "no images"},
		{"bad std", transforms.Pipeline{Size: 8}, ds, "normalize_std"},
		{"nil image", ok, &data.Dataset{Images: []*image.NRGBA{nil}, Labels: []int{0}, Sources: []string{"bad.png"}}, "bad.png"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(b, tt.ds, tt.p, 1)
			if err == nil {
				a.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	a, err := New(b, ds, ok, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Tensors([]int{0, 2}, 0, 0); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("index 2 of 2 images: err = %v", err)
	}
	a.Close()
	if _, _, err := a.Tensors([]int{0}, 0, 0); err == nil {
		t.Error("a closed augmenter made a batch")
	}
}

func transparent(ds *data.Dataset) *data.Dataset {
	ds.Images[1].Pix[7] = 0x80
	return ds
}

// With crop, the device resizes each crop box with imaging's weights in
// float64 and its rounding; only the order of the sums differs from the
// host. Measured: how many values differ and by how much (in 1/255 levels).
func TestCropCloseToHost(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		flips   bool
		degrees float64
	}{
		{"crop", 16, false, 0},
		{"crop odd size", 21, false, 0},
		{"crop flips rotate", 24, true, 30},
		{"crop flips rotate 64", 64, true, 15},
	}
	b := testBackend(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := transforms.Pipeline{Size: tt.size, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5},
				Crop: true, HFlip: tt.flips, VFlip: tt.flips, Degrees: tt.degrees}
			ds := noisyImages(6, p.LoadSize())
			a, err := New(b, ds, p, 3)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			host := data.Batcher{Data: ds, Transform: p, Seed: 3}
			indices := []int{0, 1, 2, 3, 4, 5, 5, 2}
			var diff, total int
			var worst float64
			for epoch := range 8 {
				want, _, err := host.Floats(indices, epoch, 0)
				if err != nil {
					t.Fatal(err)
				}
				img, _, err := a.Tensors(indices, epoch, 0)
				if err != nil {
					t.Fatal(err)
				}
				got := tensors.MustCopyFlatData[float32](img)
				img.FinalizeAll()
				for i := range got {
					// One level is 1/(255*std) in normalised units.
					d := math.Abs(float64(got[i]-want[i])) * 255 * 0.5
					if !(d <= 1e-3) { // NaN counts
						diff++
					}
					worst = max(worst, d)
				}
				total += len(got)
			}
			t.Logf("%d of %d values differ from the host, by at most %.3g levels", diff, total, worst)
			if !(worst <= 1.001) || float64(diff) > 1e-3*float64(total) {
				t.Errorf("%d of %d values differ from the host, by at most %.3g levels: want at most 0.1%%, by 1 level", diff, total, worst)
			}
		})
	}
}

// noisyImages are n size x size images of pseudo-random pixels, so crop
// boxes resample every kind of neighbourhood.
func noisyImages(n, size int) *data.Dataset {
	ds := &data.Dataset{Classes: []string{"a", "b"}}
	k := uint32(12345)
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, size, size))
		for j := range img.Pix {
			k = k*1664525 + 1013904223
			img.Pix[j] = uint8(k >> 24)
			if j%4 == 3 {
				img.Pix[j] = 0xff
			}
		}
		ds.Images = append(ds.Images, img)
		ds.Labels = append(ds.Labels, i%2)
		ds.Sources = append(ds.Sources, "noise.png")
	}
	return ds
}
