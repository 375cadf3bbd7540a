package transforms

import (
	"image"
	"math"
)

// rotate turns img counter-clockwise by angle degrees about its centre,
// keeping its size, with nearest-neighbour sampling and black corners.
// This is exactly Pillow's img.rotate(angle, NEAREST, expand=False,
// fillcolor=0), which torchvision's RandomRotation calls by default:
// Pillow's inverse affine map from output pixel centres to input pixels,
// evaluated in its 16.16 fixed point (Geometry.c, affine_fixed), so
// results match it pixel for pixel. imaging.Rotate differs: it grows the
// canvas and interpolates bilinearly.
func rotate(img *image.NRGBA, angle float64) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	m := NewRotation(w, h, angle)
	rowX, rowY := m.X0, m.Y0
	for y := range h {
		xx, yy := rowX, rowY
		o := out.Pix[y*out.Stride : y*out.Stride+4*w]
		for x := 0; x < len(o); x += 4 {
			xin, yin := int(xx>>16), int(yy>>16)
			if xin >= 0 && xin < w && yin >= 0 && yin < h {
				i := (yin)*img.Stride + 4*xin
				copy(o[x:x+4], img.Pix[i:i+4])
			}
			o[x+3] = 0xff
			xx += m.XX
			yy += m.YX
		}
		rowX += m.XY
		rowY += m.YY
	}
	return out
}

// Rotation is the inverse map rotate uses, in Pillow's 16.16 fixed point:
// output pixel (x, y) reads input pixel (X>>16, Y>>16), with
//
//	X = X0 + x*XX + y*XY
//	Y = Y0 + x*YX + y*YY
//
// (integer arithmetic, so any order of evaluation gives the same pixel),
// or is black when that lies outside the image.
type Rotation struct{ X0, Y0, XX, XY, YX, YY int64 }

// NewRotation is the map of a w x h image turned counter-clockwise by
// angle degrees about its centre. Angle 0 is the identity.
func NewRotation(w, h int, angle float64) Rotation {
	rad := -angle * math.Pi / 180
	// Pillow rounds the matrix to 15 decimals before use.
	cos := math.Round(math.Cos(rad)*1e15) / 1e15
	sin := math.Round(math.Sin(rad)*1e15) / 1e15
	a, b, d, e := cos, sin, -sin, cos
	cx, cy := float64(w)/2, float64(h)/2
	c := a*-cx + b*-cy + cx
	f := d*-cx + e*-cy + cy
	fix := func(v float64) int64 { return int64(math.Floor(v*65536 + 0.5)) }
	return Rotation{
		X0: fix(c + a*0.5 + b*0.5), Y0: fix(f + d*0.5 + e*0.5),
		XX: fix(a), XY: fix(b), YX: fix(d), YY: fix(e),
	}
}
