package datasets_test

import (
	"fmt"

	"github.com/debiaser/debiaser/datasets"
)

func ExampleLongTailCounts() {
	// CIFAR-10-LT at imbalance factor 100 (Cui et al. 2019).
	counts, err := datasets.LongTailCounts(5000, 10, 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(counts)
	// Output: [5000 2997 1796 1077 645 387 232 139 83 50]
}

func ExampleLoad() {
	// The embedded default: MNIST-LT, imbalance factor 10, 500 images of
	// digit 0 down to 50 of digit 9; validation from MNIST's test set.
	train, valid, err := datasets.Load("mnist-lt", datasets.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(train.Classes)
	fmt.Println("train", train.Len(), train.Counts())
	fmt.Println("valid", valid.Len(), valid.Counts())
	fmt.Println(train.Images[0].Bounds().Size())
	// Output:
	// [0 1 2 3 4 5 6 7 8 9]
	// train 2040 [500 387 299 232 179 139 107 83 64 50]
	// valid 678 [167 129 100 77 60 46 35 27 21 16]
	// (28,28)
}

func ExampleTiny() {
	d := datasets.Tiny(1)
	fmt.Println(d.Classes, d.Counts(), d.Images[0].Bounds().Size())
	// Output: [circle square triangle] [24 12 6] (16,16)
}
