package plots_test

import (
	"fmt"

	"github.com/debiaser/debiaser/plots"
)

func ExampleGroupedBars() {
	f, err := plots.GroupedBars(plots.Bars{
		Title:      "Final-layer norm per class",
		XLabel:     "class",
		YLabel:     "L2 norm",
		Categories: []string{"Lotus", "Orchid", "Sunflower", "Tulip"},
		Series:     []string{"before training", "after: baseline"},
		Values:     [][]float64{{0.58, 0.57, 0.55, 0.56}, {0.85, 0.71, 0.61, 0.53}},
		RefLine:    0.6, RefLabel: "MaxNorm threshold 0.6",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	png, err := plots.Render(f, "png", 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Title, len(png) > 0)
	// Output: Final-layer norm per class true
}
