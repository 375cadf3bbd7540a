package datasets

import (
	"testing"

	"github.com/debiaser/debiaser/toolkit/data"
)

// checkDataset checks the invariants of data.Dataset: parallel slices,
// labels in range, images of one size, opaque alpha.
func checkDataset(t *testing.T, d *data.Dataset, w, h int) {
	t.Helper()
	if len(d.Images) != d.Len() || len(d.Sources) != d.Len() {
		t.Fatalf("%d images, %d labels, %d sources", len(d.Images), d.Len(), len(d.Sources))
	}
	for i, img := range d.Images {
		if y := d.Labels[i]; y < 0 || y >= len(d.Classes) {
			t.Fatalf("label %d of %s outside %d classes", y, d.Sources[i], len(d.Classes))
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("%s is %v, want %dx%d", d.Sources[i], b, w, h)
		}
		for k := 3; k < len(img.Pix); k += 4 {
			if img.Pix[k] != 255 {
				t.Fatalf("%s not opaque", d.Sources[i])
			}
		}
	}
}
