package sampling

import "fmt"

// Deferred samples the epochs before From with Before and the later ones
// with After: deferred re-sampling (DRS, Cao et al. 2019, "Learning
// imbalanced datasets with label-distribution-aware margin loss") is
// Deferred{Before: None{}, After: a re-balancing sampler, From: E}: the
// model first learns features from the data as it is, then re-balances.
// Epochs count from 0, so From epochs are drawn by Before.
type Deferred struct {
	Before, After Sampler
	From          int
}

// Indices draws epoch's indices with Before or After.
func (d Deferred) Indices(labels []int, numClasses int, epoch int, seed int64) ([]int, error) {
	if d.Before == nil || d.After == nil {
		return nil, fmt.Errorf("sampling: Deferred needs both samplers")
	}
	if epoch < d.From {
		return d.Before.Indices(labels, numClasses, epoch, seed)
	}
	return d.After.Indices(labels, numClasses, epoch, seed)
}
