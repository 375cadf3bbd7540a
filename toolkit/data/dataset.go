package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
)

// Dataset is a set of decoded RGB images held in memory for a run, with
// their labels. Images are *image.NRGBA with opaque alpha; every image of a
// Dataset made by a loader has the same size (the loader's resize).
type Dataset struct {
	// Classes are the class names, sorted; label i means Classes[i].
	Classes []string
	Images  []*image.NRGBA
	Labels  []int
	// Sources names where each image came from (a file path, or
	// "mnist/train/123" for an embedded set), for error messages and logs.
	Sources []string
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// Counts returns the number of images of each class, in Classes order.
func (d *Dataset) Counts() []int {
	counts := make([]int, len(d.Classes))
	for _, y := range d.Labels {
		counts[y]++
	}
	return counts
}

// Subset returns the images at the given indices (repeats allowed), sharing
// the decoded images with d.
func (d *Dataset) Subset(indices []int) (*Dataset, error) {
	out := &Dataset{Classes: d.Classes,
		Images:  make([]*image.NRGBA, len(indices)),
		Labels:  make([]int, len(indices)),
		Sources: make([]string, len(indices))}
	for i, idx := range indices {
		if idx < 0 || idx >= d.Len() {
			return nil, fmt.Errorf("subset: index %d out of range [0, %d)", idx, d.Len())
		}
		out.Images[i], out.Labels[i] = d.Images[idx], d.Labels[idx]
		if idx < len(d.Sources) {
			out.Sources[i] = d.Sources[idx]
		}
	}
	return out, nil
}

// Fingerprint identifies the dataset's content: classes, labels and every
// pixel, as a hex SHA-256. A search refuses to resume on other data.
func (d *Dataset) Fingerprint() string {
	h := sha256.New()
	for _, c := range d.Classes {
		fmt.Fprintf(h, "class %q\n", c)
	}
	var buf [8]byte
	for i, img := range d.Images {
		binary.LittleEndian.PutUint64(buf[:], uint64(d.Labels[i]))
		h.Write(buf[:])
		b := img.Bounds()
		fmt.Fprintf(h, "%dx%d", b.Dx(), b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			off := img.PixOffset(b.Min.X, y)
			h.Write(img.Pix[off : off+4*b.Dx()])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
