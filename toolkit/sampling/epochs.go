package sampling

import "fmt"

// EpochCounts runs s for epochs 0 .. epochs-1 on the training labels and
// returns the class counts each epoch draws, counts[epoch][class]: what a
// run's log records as sampled_class_counts, without training anything.
func EpochCounts(s Sampler, labels []int, numClasses, epochs int, seed int64) ([][]int, error) {
	if epochs < 1 {
		return nil, fmt.Errorf("sampling: epochs %d < 1", epochs)
	}
	counts := make([][]int, epochs)
	for e := range counts {
		idx, err := s.Indices(labels, numClasses, e, seed)
		if err != nil {
			return nil, fmt.Errorf("sampling: epoch %d: %w", e, err)
		}
		counts[e] = ClassCounts(labels, idx, numClasses)
	}
	return counts, nil
}
