package sampling

// None visits every training index once per epoch, in a shuffled order.
type None struct{}

// Indices implements Sampler.
func (None) Indices(labels []int, numClasses, epoch int, seed int64) ([]int, error) {
	if _, err := byClass(labels, numClasses); err != nil {
		return nil, err
	}
	rng := newRand(seed, epoch)
	return rng.Perm(len(labels)), nil
}

// TargetCounts implements Targeter: the counts are unchanged.
func (None) TargetCounts(counts []int) []int { return append([]int(nil), counts...) }

// Oversampling keeps every index and adds random draws, with replacement,
// from each class until it has as many samples as the majority class.
type Oversampling struct{}

// Indices implements Sampler.
func (Oversampling) Indices(labels []int, numClasses, epoch int, seed int64) ([]int, error) {
	groups, err := byClass(labels, numClasses)
	if err != nil {
		return nil, err
	}
	rng := newRand(seed, epoch)
	_, hi := extremes(countsOf(groups))
	var out []int
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		out = append(out, g...)
		for range hi - len(g) {
			out = append(out, g[rng.IntN(len(g))])
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// TargetCounts implements Targeter: every present class at the majority count.
func (Oversampling) TargetCounts(counts []int) []int {
	_, hi := extremes(counts)
	return fill(counts, hi)
}

// Undersampling draws each class without replacement down to the minority
// count; a fresh draw each epoch, so over many epochs every sample is seen.
type Undersampling struct{}

// Indices implements Sampler.
func (Undersampling) Indices(labels []int, numClasses, epoch int, seed int64) ([]int, error) {
	groups, err := byClass(labels, numClasses)
	if err != nil {
		return nil, err
	}
	rng := newRand(seed, epoch)
	lo, _ := extremes(countsOf(groups))
	var out []int
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		// A partial Fisher-Yates shuffle picks lo distinct members.
		pool := append([]int(nil), g...)
		for i := range lo {
			j := i + rng.IntN(len(pool)-i)
			pool[i], pool[j] = pool[j], pool[i]
		}
		out = append(out, pool[:lo]...)
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// TargetCounts implements Targeter: every present class at the minority count.
func (Undersampling) TargetCounts(counts []int) []int {
	lo, _ := extremes(counts)
	return fill(counts, lo)
}

// fill returns n for every present class and 0 for absent ones.
func fill(counts []int, n int) []int {
	out := make([]int, len(counts))
	for c, k := range counts {
		if k > 0 {
			out[c] = n
		}
	}
	return out
}
