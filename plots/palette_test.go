package plots

import (
	"fmt"
	"testing"
)

// Every series up to 64 has a marker of its own (colour and shape), and a
// line of its own (colour and dashes): a study's 13 runs stay apart.
func TestSeriesStylesDistinct(t *testing.T) {
	n := len(OkabeIto) * len(glyphShapes)
	glyphs, lines := map[string]int{}, map[string]int{}
	for i := range n {
		g := seriesGlyph(i)
		key := fmt.Sprintf("%v %T", g.Color, g.Shape)
		if j, ok := glyphs[key]; ok {
			t.Errorf("series %d and %d have the same marker %s", j, i, key)
		}
		glyphs[key] = i
		if i < len(OkabeIto)*len(dashes) {
			l := seriesLine(i)
			key := fmt.Sprintf("%v %v", l.Color, l.Dashes)
			if j, ok := lines[key]; ok {
				t.Errorf("series %d and %d have the same line %s", j, i, key)
			}
			lines[key] = i
		}
	}
}
