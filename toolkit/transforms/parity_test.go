package transforms

import (
	"image"
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
