package plots

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"testing"
)

func TestGroupedBars(t *testing.T) {
	good := Bars{
		Title: "class norms", XLabel: "class", YLabel: "norm",
		Categories: []string{"0", "1", "2"},
		Series:     []string{"before", "after"},
		Values:     [][]float64{{0.5, 0.6, 0.55}, {1, 0.9, 0.2}},
		RefLine:    0.7, RefLabel: "threshold",
	}
	f, err := GroupedBars(good)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.legendEntries; got != 3 {
		t.Errorf("legend entries: got %d, want 3 (two series and the reference line)", got)
	}
	out, err := Render(f, "png", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
		t.Errorf("image %v is too small", b)
	}
	noRef := good
	noRef.RefLabel = ""
	if f, err := GroupedBars(noRef); err != nil || f.legendEntries != 2 {
		t.Errorf("without reference line: err %v, legend entries %d, want nil and 2", err, f.legendEntries)
	}
	for _, tt := range []struct {
		name string
		edit func(b *Bars)
	}{
		{"no categories", func(b *Bars) { b.Categories = nil }},
		{"no series", func(b *Bars) { b.Series, b.Values = nil, nil }},
		{"rows vs series", func(b *Bars) { b.Values = b.Values[:1] }},
		{"short row", func(b *Bars) { b.Values = [][]float64{{1, 2}, {1, 2, 3}} }},
		{"NaN reference", func(b *Bars) { b.RefLine = math.NaN() }},
		{"NaN value", func(b *Bars) { b.Values = [][]float64{{1, math.NaN(), 3}, {1, 2, 3}} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := good
			tt.edit(&b)
			if _, err := GroupedBars(b); !errors.Is(err, ErrBars) {
				t.Errorf("got error %v, want ErrBars", err)
			}
		})
	}
}
