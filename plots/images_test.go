package plots

import (
	"image"
	"image/color"
)

// fixtureImages returns three synthetic before/after pairs: a gradient
// with a bar, flipped horizontally and rotated in "after".
func fixtureImages() (before, after []image.Image, labels []string) {
	const n = 48
	for k, name := range []string{"Lotus", "Orchid", "Tulip"} {
		b := image.NewNRGBA(image.Rect(0, 0, n, n))
		a := image.NewNRGBA(image.Rect(0, 0, n, n))
		for y := range n {
			for x := range n {
				c := color.NRGBA{R: uint8(x * 5), G: uint8(y * 5), B: uint8(80 * k), A: 255}
				if x > 8 && x < 16 {
					c = color.NRGBA{R: 250, G: 250, B: 250, A: 255}
				}
				b.SetNRGBA(x, y, c)
				a.SetNRGBA(n-1-y, n-1-x, c) // flip + quarter turn
			}
		}
		before = append(before, b)
		after = append(after, a)
		labels = append(labels, name)
	}
	return before, after, labels
}
