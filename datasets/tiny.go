package datasets

import (
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/debiaser/debiaser/toolkit/data"
)

// TinyClasses are the classes of Tiny, sorted.
var TinyClasses = []string{"circle", "square", "triangle"}

// TinyCounts are Tiny's images per class: imbalanced 4:2:1.
var TinyCounts = []int{24, 12, 6}

// TinySize is the side of Tiny's images.
const TinySize = 16

// Tiny returns a small generated dataset for unit tests: 42 images of
// 16x16 pixels, one filled shape each (circle, square or triangle, 24/12/6
// of them) in a random bright colour, size and place on a dark background.
// The class is the shape, never the colour. Same seed, same images; the
// labels come in a shuffled order.
func Tiny(seed int64) *data.Dataset {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7117))
	var labels []int
	for c, n := range TinyCounts {
		for range n {
			labels = append(labels, c)
		}
	}
	rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	d := &data.Dataset{Classes: TinyClasses, Labels: labels}
	for i, y := range labels {
		d.Images = append(d.Images, drawShape(rng, y, TinySize))
		d.Sources = append(d.Sources, fmt.Sprintf("tiny/%d", i))
	}
	return d
}

// drawShape draws shape y (an index of ShapesClasses) on a side x side
// image, with a side or diameter of 7/16 to 12/16 of the image.
func drawShape(rng *rand.Rand, y, side int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	bg := uint8(rng.IntN(40))
	fg := [3]uint8{uint8(128 + rng.IntN(128)), uint8(128 + rng.IntN(128)), uint8(128 + rng.IntN(128))}
	size := (7 + rng.IntN(6)) * side / TinySize
	x0, y0 := rng.IntN(side-size+1), rng.IntN(side-size+1)
	for py := range side {
		for px := range side {
			// Coordinates inside the shape's box, measured from its centre
			// in units of half the side (pixel centres).
			u := (float64(px-x0)+0.5)/float64(size)*2 - 1
			v := (float64(py-y0)+0.5)/float64(size)*2 - 1
			var in bool
			switch y {
			case 0:
				in = u*u+v*v <= 1
			case 1:
				in = u >= -1 && u <= 1 && v >= -1 && v <= 1
			case 2: // apex up, base at the bottom of the box
				in = v >= -1 && v <= 1 && u >= -(v+1)/2 && u <= (v+1)/2
			case 3:
				r := u*u + v*v
				in = r <= 1 && r >= 0.36
			}
			k := 4 * (py*side + px)
			if in {
				img.Pix[k], img.Pix[k+1], img.Pix[k+2] = fg[0], fg[1], fg[2]
			} else {
				img.Pix[k], img.Pix[k+1], img.Pix[k+2] = bg, bg, bg
			}
			img.Pix[k+3] = 255
		}
	}
	return img
}
