package plots

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// refLine is a vertical reference line at an x value across the whole
// data area, such as the best epoch or a baseline value. It is also its
// own legend thumbnail.
type refLine struct {
	at float64
	draw.LineStyle
}

func vLine(x float64, sty draw.LineStyle) *refLine { return &refLine{at: x, LineStyle: sty} }

// Plot implements plot.Plotter.
func (r *refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(r.at)
	c.StrokeLines(r.LineStyle, c.ClipLinesX([]vg.Point{{X: x, Y: c.Min.Y}, {X: x, Y: c.Max.Y}})...)
}

// DataRange keeps the line's position inside the x axis range.
func (r *refLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	return r.at, r.at, math.Inf(1), math.Inf(-1)
}

// Thumbnail implements plot.Thumbnailer.
func (r *refLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(r.LineStyle, c.Min.X, y, c.Max.X, y)
}

// refStyle is the style of best-epoch and baseline markers.
func refStyle(clr color.Color, dashed bool) draw.LineStyle {
	s := draw.LineStyle{Color: clr, Width: vg.Points(1.2)}
	if dashed {
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return s
}

// cells is a heat map of labelled cells: value[r][c] in [0, 1] sets the
// colour, label[r][c] the text; row 0 is drawn at the top.
type cells struct {
	value [][]float64
	label [][]string
	low   color.Color
	high  color.Color
	font  text.Style
}

// Plot implements plot.Plotter.
func (h *cells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(h.value)
	for r := range h.value {
		for col, v := range h.value[r] {
			y := float64(n - 1 - r)
			x := float64(col)
			rect := vg.Rectangle{
				Min: vg.Point{X: trX(x - 0.5), Y: trY(y - 0.5)},
				Max: vg.Point{X: trX(x + 0.5), Y: trY(y + 0.5)},
			}
			c.SetColor(mix(h.low, h.high, v))
			c.Fill(rect.Path())
			c.SetLineStyle(draw.LineStyle{Color: color.Gray{Y: 0xD0}, Width: vg.Points(0.5)})
			c.Stroke(rect.Path())
			sty := h.font
			sty.Color = color.Black
			if v > 0.55 {
				sty.Color = color.White
			}
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
			c.FillText(sty, vg.Point{X: trX(x), Y: trY(y)}, h.label[r][col])
		}
	}
}

// DataRange implements plot.DataRanger.
func (h *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(h.value))
	m := 0.0
	if len(h.value) > 0 {
		m = float64(len(h.value[0]))
	}
	return -0.5, m - 0.5, -0.5, n - 0.5
}

// mix blends a and b: t=0 gives a, t=1 gives b.
func mix(a, b color.Color, t float64) color.Color {
	t = math.Max(0, math.Min(1, t))
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	f := func(x, y uint32) uint8 { return uint8((float64(x)*(1-t) + float64(y)*t) / 257) }
	return color.RGBA{R: f(ar, br), G: f(ag, bg), B: f(ab, bb), A: 0xFF}
}

// epochLine is a line of per-epoch values, skipping non-finite ones
// (a run stopped by a NaN loss still draws its finite part).
func epochLine(values []float64, sty draw.LineStyle) (*plotter.Line, error) {
	pts := make(plotter.XYs, 0, len(values))
	for e, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(e), Y: v})
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.LineStyle = sty
	return l, nil
}

// scaled returns values times k (fractions to percent).
func scaled(values []float64, k float64) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = v * k
	}
	return out
}

// integerTicks makes the epoch axis tick at whole epochs only.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(min, max float64) []plot.Tick {
	if max-min <= 10 {
		var out []plot.Tick
		for v := math.Ceil(min); v <= max; v++ {
			out = append(out, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
		}
		return out
	}
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	out := ticks[:0]
	for _, t := range ticks {
		if t.Value == math.Trunc(t.Value) {
			out = append(out, t)
		}
	}
	return out
}

// cleanTicks are gonum's default ticks with labels in the fewest digits
// ("82.5", not "82.50").
type cleanTicks struct{}

// Ticks implements plot.Ticker.
func (cleanTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		l := ticks[i].Label
		if strings.Contains(l, ".") && !strings.ContainsAny(l, "eE") {
			ticks[i].Label = strings.TrimRight(strings.TrimRight(l, "0"), ".")
		}
	}
	return ticks
}
