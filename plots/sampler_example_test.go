package plots_test

import (
	"fmt"

	"github.com/debiaser/debiaser/plots"
	"github.com/debiaser/debiaser/toolkit/sampling"
)

// The study's resampling table from the samplers alone, no training run.
func ExampleSamplerTable() {
	classes := []string{"Lotus", "Tulip"}
	labels := []int{0, 0, 0, 0, 1}
	var draws []plots.SamplerDraws
	for _, name := range []string{"oversampling", "undersampling"} {
		s, err := sampling.New(name, sampling.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		counts, err := sampling.EpochCounts(s, labels, len(classes), 2, 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		draws = append(draws, plots.SamplerDraws{Strategy: name, Counts: counts})
	}
	t, err := plots.SamplerTable(classes, []int{4, 1}, draws)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(t.Markdown())
	// Output:
	// | epoch | original | oversampling | undersampling |
	// |---|---:|---:|---:|
	// | 0 | 4 / 1 (5) | 4 / 4 (8) | 1 / 1 (2) |
	// | 1 | 4 / 1 (5) | 4 / 4 (8) | 1 / 1 (2) |
}
