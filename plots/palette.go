package plots

import (
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// OkabeIto is the Okabe-Ito palette, distinct under the common forms of
// colour blindness, ordered for lines on white (yellow and black last).
var OkabeIto = []color.Color{
	color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
	color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	color.RGBA{R: 0xF0, G: 0xE4, B: 0x42, A: 0xFF}, // yellow
	color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xFF}, // black
}

// Fixed roles: train vs valid curves, baselines and reference lines.
var (
	trainColor = OkabeIto[4] // blue
	validColor = OkabeIto[3] // vermillion
	refColor   = color.Gray{Y: 0x60}
)

// dashes cycles after the palette runs out, so series 9+ stay distinct.
var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
}

// glyphShapes likewise vary scatter points beyond the palette.
var glyphShapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{},
	draw.CrossGlyph{}, draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{},
}

// seriesColor is the colour of series i (a class index or a run index).
func seriesColor(i int) color.Color { return OkabeIto[i%len(OkabeIto)] }

// seriesLine is the line style of series i: palette colour, then dashes.
func seriesLine(i int) draw.LineStyle {
	return draw.LineStyle{
		Color:  seriesColor(i),
		Width:  vg.Points(1.8),
		Dashes: dashes[(i/len(OkabeIto))%len(dashes)],
	}
}

// seriesGlyph is the marker of series i: palette colour and a shape that
// changes with i, so points stay apart in grey-scale too. The shape moves
// on by one more each time the colours start again, so the first
// len(OkabeIto)*len(glyphShapes) series (64) each have a marker of their
// own (a study's 13 runs included).
func seriesGlyph(i int) draw.GlyphStyle {
	return draw.GlyphStyle{
		Color:  seriesColor(i),
		Radius: vg.Points(4),
		Shape:  glyphShapes[(i+i/len(OkabeIto))%len(glyphShapes)],
	}
}
