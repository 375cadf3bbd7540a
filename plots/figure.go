package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Default sizes: about 770x480 pixels at 96 DPI for one panel, wider for
// side-by-side panels; both fit a notebook cell without scrolling.
const (
	DefaultWidth  = 8 * vg.Inch
	DefaultHeight = 5 * vg.Inch
	WideWidth     = 11 * vg.Inch
)

// Formats lists the file formats Render and Save write.
var Formats = []string{"png", "svg", "pdf"}

// Chart is anything that draws itself on a canvas: a *Figure or a *plot.Plot.
type Chart interface {
	Draw(c draw.Canvas)
}

// Figure is a chart of one or more panels: plots tiled in rows, a shared
// legend drawn to the right of the panels (so it never covers data), and
// an optional title above them.
type Figure struct {
	Title  string
	Panels [][]*plot.Plot // rows of panels; a nil panel leaves its tile empty
	Legend plot.Legend
	// Width and Height are the preferred size, used when Render gets zeros.
	Width, Height vg.Length

	legendEntries int
}

// newFigure returns a figure of rows x cols empty panels with the house
// look: white background, grid-friendly fonts, legend on the right.
func newFigure(title string, rows, cols int) *Figure {
	f := &Figure{Title: title, Width: DefaultWidth, Height: DefaultHeight}
	if cols > 1 {
		f.Width = WideWidth
	}
	f.Panels = make([][]*plot.Plot, rows)
	for r := range f.Panels {
		f.Panels[r] = make([]*plot.Plot, cols)
		for c := range f.Panels[r] {
			f.Panels[r][c] = newPanel()
		}
	}
	f.Legend = plot.NewLegend()
	f.Legend.Top = true
	f.Legend.Left = true
	f.Legend.TextStyle.Font.Size = 10
	return f
}

// newPanel returns a plot with the house fonts and a light grid.
func newPanel() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Size = 12
	p.Title.Padding = vg.Points(4)
	p.X.Label.TextStyle.Font.Size = 11
	p.Y.Label.TextStyle.Font.Size = 11
	p.X.Tick.Label.Font.Size = 9
	p.Y.Tick.Label.Font.Size = 9
	p.X.Tick.Marker = cleanTicks{}
	p.Y.Tick.Marker = cleanTicks{}
	return p
}

// AddLegend adds an entry to the shared legend.
func (f *Figure) AddLegend(name string, thumbs ...plot.Thumbnailer) {
	f.Legend.Add(name, thumbs...)
	f.legendEntries++
}

// Panel returns the panel at row r, column c.
func (f *Figure) Panel(r, c int) *plot.Plot { return f.Panels[r][c] }

// Draw draws the figure: background, title, panels, then the legend strip.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	pad := vg.Points(8)
	c = draw.Crop(c, pad, -pad, pad, -pad)
	if f.Title != "" {
		sty := plot.New().Title.TextStyle
		sty.Font = font.From(plot.DefaultFont, 14)
		descent := sty.FontExtents().Descent
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y + descent}, f.Title)
		c.Max.Y -= sty.Rectangle(f.Title).Size().Y + vg.Points(6)
	}
	if f.legendEntries > 0 {
		r := f.Legend.Rectangle(c)
		// 15% slack: an SVG viewer without the Liberation fonts substitutes
		// a wider serif, and the legend must still fit.
		w := (r.Max.X-r.Min.X)*1.15 + vg.Points(4)
		lc := c
		lc.Min.X = c.Max.X - w
		lc.Max.Y -= vg.Points(20) // level with the panels' data, below their titles
		f.Legend.Draw(lc)
		c.Max.X -= w + vg.Points(10)
	}
	rows := len(f.Panels)
	if rows == 0 {
		return
	}
	cols := len(f.Panels[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(16), PadY: vg.Points(12)}
	canvases := plot.Align(f.Panels, tiles, c)
	for r, row := range f.Panels {
		for i, p := range row {
			if p != nil {
				p.Draw(canvases[r][i])
			}
		}
	}
}

// Render draws ch at w x h in format ("png", "svg" or "pdf") and returns
// the file bytes. Zero sizes take the figure's preferred size, or the
// defaults. A panic inside gonum/plot is returned as an error.
func Render(ch Chart, format string, w, h vg.Length) (out []byte, err error) {
	format = strings.ToLower(strings.TrimPrefix(format, "."))
	if !validFormat(format) {
		return nil, fmt.Errorf("plots: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
	}
	if ch == nil {
		return nil, fmt.Errorf("plots: render: nil chart")
	}
	if f, ok := ch.(*Figure); ok {
		if w == 0 {
			w = f.Width
		}
		if h == 0 {
			h = f.Height
		}
	}
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("plots: render %s: %v", format, r)
		}
	}()
	cw, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return nil, fmt.Errorf("plots: render: %w", err)
	}
	ch.Draw(draw.New(cw))
	var buf bytes.Buffer
	if _, err := cw.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: render %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// Save renders ch at its preferred size in the format named by path's
// extension (.png, .svg or .pdf) and writes the file.
func Save(ch Chart, path string) error {
	data, err := Render(ch, filepath.Ext(path), 0, 0)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

func validFormat(format string) bool {
	for _, f := range Formats {
		if f == format {
			return true
		}
	}
	return false
}
