package sampling_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/sampling"
)

func Example() {
	// Training labels of an imbalanced set: 6, 3 and 1 samples.
	labels := []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 2}
	for _, name := range []string{"none", "oversampling", "undersampling"} {
		s, err := sampling.New(name, sampling.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		for epoch := range 2 {
			idx, err := s.Indices(labels, 3, epoch, 1)
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println(name, epoch, sampling.ClassCounts(labels, idx, 3))
		}
	}
	// Output:
	// none 0 [6 3 1]
	// none 1 [6 3 1]
	// oversampling 0 [6 6 6]
	// oversampling 1 [6 6 6]
	// undersampling 0 [1 1 1]
	// undersampling 1 [1 1 1]
}

func ExampleStratifiedKFold() {
	labels := []int{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2}
	folds, err := sampling.StratifiedKFold(labels, 2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, f := range folds {
		fmt.Println("fold", i, "valid class counts", sampling.ClassCounts(labels, f.Valid, 3))
	}
	// Output:
	// fold 0 valid class counts [2 3 1]
	// fold 1 valid class counts [2 3 1]
}

func ExampleWeighted_ClassProbabilities() {
	counts := []int{750, 425, 250, 75}
	fmt.Printf("inverse      %.3f\n", sampling.Weighted{}.ClassProbabilities(counts))
	fmt.Printf("inverse_sqrt %.3f\n", sampling.Weighted{Sqrt: true}.ClassProbabilities(counts))
	// Output:
	// inverse      [0.250 0.250 0.250 0.250]
	// inverse_sqrt [0.378 0.284 0.218 0.119]
}
