package sampling_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/sampling"
)

// The per-epoch class counts of random undersampling, without training.
func ExampleEpochCounts() {
	labels := []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 2}
	s, err := sampling.New("undersampling", sampling.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	counts, err := sampling.EpochCounts(s, labels, 3, 2, 1)
	fmt.Println(counts, err)
	// Output:
	// [[1 1 1] [1 1 1]] <nil>
}
