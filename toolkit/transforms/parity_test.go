package transforms

import (
	"encoding/binary"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/disintegration/imaging"
)

// Keep in step with ANGLES in testdata/gen_fixtures.py.
var rotationAngles = []float64{23.5, -17.25, 45.0, -130.0, 7.0, 179.9}

func readPNG(t *testing.T, name string) *image.NRGBA {
	t.Helper()
	img, err := data.DecodeFile(filepath.Join("testdata", name), 0)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestRotateMatchesPillow compares rotate with torchvision's rotation
// (Pillow's rotate, NEAREST, black fill) pixel for pixel.
func TestRotateMatchesPillow(t *testing.T) {
	src := readPNG(t, "src.png")
	for i, angle := range rotationAngles {
		want := readPNG(t, "rotate"+string(rune('0'+i))+".png")
		got := rotate(src, angle)
		diff := 0
		for j := range got.Pix {
			if got.Pix[j] != want.Pix[j] {
				diff++
			}
		}
		if diff > 0 {
			t.Errorf("angle %g: %d of %d bytes differ from Pillow", angle, diff, len(got.Pix))
		}
	}
}

// TestResizeNearPillow measures imaging's Linear resize against Pillow's
// BILINEAR (torchvision's Resize). They are the same antialiased triangle
// filter; Pillow works in fixed point, so a level or two may differ.
func TestResizeNearPillow(t *testing.T) {
	src := readPNG(t, "src.png")
	for _, tt := range []struct {
		file string
		w, h int
	}{{"resize_down.png", 9, 11}, {"resize_up.png", 40, 30}} {
		want := readPNG(t, tt.file)
		got := imaging.Resize(src, tt.w, tt.h, imaging.Linear)
		sum, worst := 0, 0
		for j := range got.Pix {
			d := int(got.Pix[j]) - int(want.Pix[j])
			d = max(d, -d)
			sum += d
			worst = max(worst, d)
		}
		mean := float64(sum) / float64(tt.w*tt.h*3)
		t.Logf("%s: mean |error| %.3f, worst %d levels", tt.file, mean, worst)
		if mean > 0.5 || worst > 2 {
			t.Errorf("%s: mean |error| %.3f, worst %d levels; want <= 0.5 and <= 2", tt.file, mean, worst)
		}
	}
}

// TestEvalMatchesTorchvision runs a JPEG through DecodeFile and the
// evaluation pipeline and compares the normalised values with
// torchvision's Resize((32, 32)) + ToTensor + Normalize(0.5, 0.5) on the
// same file (testdata/gen_fixtures.py).
func TestEvalMatchesTorchvision(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "photo_eval32.f32"))
	if err != nil {
		t.Fatal(err)
	}
	const size = 32
	img, err := data.DecodeFile(filepath.Join("testdata", "photo.jpg"), size)
	if err != nil {
		t.Fatal(err)
	}
	half := [3]float32{0.5, 0.5, 0.5}
	got := make([]float32, size*size*3)
	if err := (Pipeline{Size: size, Mean: half, Std: half, Mode: Eval}).Sample(got, img, nil); err != nil {
		t.Fatal(err)
	}
	var sum, worst float64
	for c := range 3 { // torchvision is CHW, ours HWC
		for i := range size * size {
			want := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(c*size*size+i):]))
			d := math.Abs(float64(got[3*i+c] - want))
			sum += d
			worst = max(worst, d)
		}
	}
	mean := sum / (size * size * 3)
	// One level is 2/255 = 0.0078 after Normalize(0.5, 0.5).
	t.Logf("mean |error| %.5f (%.2f levels), worst %.4f (%.1f levels)", mean, mean*127.5, worst, worst*127.5)
	if mean > 0.5/127.5 || worst > 3/127.5 {
		t.Errorf("mean |error| %.2f levels, worst %.1f; want <= 0.5 and <= 3", mean*127.5, worst*127.5)
	}
}
