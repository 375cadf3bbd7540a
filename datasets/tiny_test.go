package datasets

import (
	"bytes"
	"slices"
	"testing"
)

func TestTiny(t *testing.T) {
	d := Tiny(1)
	checkDataset(t, d, TinySize, TinySize)
	if got := d.Counts(); !slices.Equal(got, TinyCounts) {
		t.Errorf("counts %v, want %v", got, TinyCounts)
	}
	again := Tiny(1)
	other := Tiny(2)
	if !slices.Equal(again.Labels, d.Labels) {
		t.Error("same seed, different labels")
	}
	sameImages, differ := true, false
	for i := range d.Images {
		sameImages = sameImages && bytes.Equal(d.Images[i].Pix, again.Images[i].Pix)
		differ = differ || !bytes.Equal(d.Images[i].Pix, other.Images[i].Pix)
	}
	if !sameImages || !differ {
		t.Errorf("same seed same images: %v; seeds 1 and 2 differ: %v", sameImages, differ)
	}
	// The shape is the class: the fraction of lit pixels in the shape's box
	// is ~pi/4 for circles, 1 for squares and ~1/2 for triangles.
	for i, img := range d.Images {
		minX, minY, maxX, maxY, lit := TinySize, TinySize, -1, -1, 0
		for y := range TinySize {
			for x := range TinySize {
				if img.Pix[4*(y*TinySize+x)+0] >= 128 || img.Pix[4*(y*TinySize+x)+1] >= 128 {
					minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
					lit++
				}
			}
		}
		fill := float64(lit) / float64((maxX-minX+1)*(maxY-minY+1))
		want := []float64{0.785, 1, 0.5}[d.Labels[i]]
		if fill < want-0.13 || fill > want+0.13 {
			t.Errorf("image %d (%s): fill %.2f, want about %.2f", i, d.Classes[d.Labels[i]], fill, want)
		}
	}
}
