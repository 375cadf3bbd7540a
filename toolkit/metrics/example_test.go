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
