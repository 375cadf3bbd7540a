package losses_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/losses"
)

// Evaluate shows how the losses differ on one batch: the same logits and
// labels, the study's class counts.
func ExampleEvaluate() {
	counts := []int{750, 425, 250, 75}
	logits := [][]float64{{2, 0.5, -1, 0}, {0, 1, 0, 2}, {0.5, 0, 0, -1}, {-1, 0, 1, 3}}
	labels := []int{0, 1, 2, 3}
	for _, cfg := range []losses.Config{
		{Family: "baseline", Type: "CE"},
		{Family: "CB", Type: "CE", Weighting: "INS"},
		{Family: "CB", Type: "BCE_sigmoid", Weighting: "ENS", Beta: 0.999},
		{Family: "CB", Type: "BCE_softmax", Weighting: "ISNS"},
		{Family: "CB", Type: "focal", Weighting: "ENS", Beta: 0.999, Gamma: 2},
		{Family: "CB", Type: "focal", Weighting: "none", Gamma: 2},
		{Family: "MFE", Type: "MFE"},
		{Family: "MFE", Type: "MSFE"},
	} {
		loss, err := losses.Evaluate(cfg, counts, logits, labels)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-8s %-11s %-4s %.4f\n", cfg.Family, cfg.Type, cfg.Weighting, loss)
	}
	_, err := losses.Evaluate(losses.Config{Family: "CB", Type: "CE", Weighting: "INS"}, []int{750, 0, 250, 75}, logits, labels)
	fmt.Println(err)
	// Output:
	// baseline CE               0.8529
	// CB       CE          INS  0.5710
	// CB       BCE_sigmoid ENS  0.6471
	// CB       BCE_softmax ISNS 0.3201
	// CB       focal       ENS  0.9819
	// CB       focal       none 1.0598
	// MFE      MFE              0.9766
	// MFE      MSFE             0.4090
	// losses: config: field "counts": class 1 has count 0: weighting INS needs counts > 0
}

// ClassWeights for the study's flower counts: rarer classes weigh more,
// and the weights sum to the number of classes.
func ExampleClassWeights() {
	for _, w := range []string{"INS", "ISNS", "ENS"} {
		weights, _ := losses.ClassWeights([]int{750, 425, 250, 75}, w, 0.999)
		fmt.Printf("%-4s %.3f\n", w, weights)
	}
	// Output:
	// INS  [0.254 0.448 0.761 2.537]
	// ISNS [0.554 0.736 0.959 1.751]
	// ENS  [0.328 0.499 0.781 2.392]
}

// LDAM's margins grow as a class gets rarer, as n^-1/4; the rarest class
// gets the largest, 0.5 here.
func ExampleLDAMMargins() {
	m, err := losses.LDAMMargins([]int{750, 425, 250, 75}, 0.5)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f\n", m)
	// Output:
	// [0.281 0.324 0.370 0.500]
}
