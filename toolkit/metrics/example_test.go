package metrics_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/metrics"
)

func ExampleCompute() {
	yTrue := []int{0, 0, 0, 0, 1, 1, 2}
	yPred := []int{0, 0, 0, 1, 1, 1, 0}
	r, err := metrics.Compute(yTrue, yPred, 3)
	if err != nil {
		panic(err)
	}
	fmt.Printf("accuracy %.3f, balanced %.3f\n", r.Accuracy, r.BalancedAccuracy)
	fmt.Printf("precision %.3f, recall %.3f\n", r.Precision, r.Recall)
	fmt.Printf("recall: macro %.3f, weighted %.3f, inverse-weighted %.3f\n",
		r.RecallMacro, r.RecallWeighted, r.RecallInverseWeighted)
	fmt.Println(r.ConfusionMatrix)
	// Output:
	// accuracy 0.714, balanced 0.583
	// precision [0.750 0.667 0.000], recall [0.750 1.000 0.000]
	// recall: macro 0.583, weighted 0.714, inverse-weighted 0.393
	// [[3 1 0] [0 2 0] [1 0 0]]
}

// The study's slides work this example and print 0.4; the formula they
// state, sum(m/n)/sum(1/n), gives 0.509, which is what this package uses.
func ExampleInverseWeighted() {
	precision := []float64{0.7, 0.8, 0.3}
	support := []int{30, 20, 10}
	fmt.Printf("inverse-weighted %.3f\n", metrics.InverseWeighted(precision, support))
	fmt.Printf("support-weighted %.3f\n", metrics.Weighted(precision, support))
	// Output:
	// inverse-weighted 0.509
	// support-weighted 0.667
}

func ExampleROCAUC() {
	yTrue := []int{0, 0, 1, 1}
	scores := [][]float64{{0.9, 0.1}, {0.6, 0.4}, {0.65, 0.35}, {0.2, 0.8}}
	aucs, err := metrics.ROCAUC(yTrue, scores)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.2f\n", aucs)
	// Output: [0.75 0.75]
}

// A model trained on counts 90:10 gives the rare class 0.3; divided by
// the prior (tau 1) that becomes the larger probability.
func ExamplePriorAdjusted() {
	scores := [][]float64{{0.7, 0.3}, {0.95, 0.05}}
	adj, err := metrics.PriorAdjusted(scores, []int{90, 10}, 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f\n", adj)
	fmt.Println("predicted:", metrics.ArgMax(scores), "->", metrics.ArgMax(adj))
	// Output:
	// [[0.206 0.794] [0.679 0.321]]
	// predicted: [0 0] -> [1 0]
}

// Four predictions of confidence 0.9, three right; two of 0.6, both right.
func ExampleTopLabelCalibration() {
	yTrue := []int{0, 0, 0, 1, 1, 0}
	scores := [][]float64{{0.9, 0.1}, {0.9, 0.1}, {0.9, 0.1}, {0.9, 0.1}, {0.4, 0.6}, {0.6, 0.4}}
	c, err := metrics.TopLabelCalibration(yTrue, scores, 10)
	if err != nil {
		panic(err)
	}
	for _, b := range c.Bins {
		fmt.Printf("(%.1f, %.1f]: %d predictions, confidence %.2f, right %.2f\n", b.Lo, b.Hi, b.Count, b.Confidence, b.Frequency)
	}
	fmt.Printf("ECE %.3f, MCE %.3f\n", c.ECE, c.MCE)
	// Output:
	// (0.5, 0.6]: 2 predictions, confidence 0.60, right 1.00
	// (0.8, 0.9]: 4 predictions, confidence 0.90, right 0.75
	// ECE 0.233, MCE 0.400
}

// An over-confident model: 0.9 on its prediction, right 2 times in 3.
// FitTemperature softens it (T > 1) until the probability of the predicted
// class says how often it is right; the prediction stays the same.
func ExampleFitTemperature() {
	scores := [][]float64{{0.9, 0.1}, {0.9, 0.1}, {0.1, 0.9}, {0.1, 0.9}, {0.9, 0.1}, {0.1, 0.9}}
	yTrue := []int{0, 0, 1, 1, 1, 0}
	t, err := metrics.FitTemperature(yTrue, scores)
	if err != nil {
		panic(err)
	}
	scaled, err := metrics.TemperatureScaled(scores, t)
	if err != nil {
		panic(err)
	}
	before, _ := metrics.NLL(yTrue, scores)
	after, _ := metrics.NLL(yTrue, scaled)
	fmt.Printf("T %.3f: %.3f on the predicted class, NLL %.3f -> %.3f\n", t, scaled[0][0], before, after)
	// Output:
	// T 3.170: 0.667 on the predicted class, NLL 0.838 -> 0.637
}
