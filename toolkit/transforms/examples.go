package transforms

import (
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/debiaser/debiaser/toolkit/data"
)

// Example is one image before and after the training transforms.
type Example struct {
	Source string // the image's file, from Dataset.Sources
	Label  int
	Before *image.NRGBA // as stored by the loader
	After  *image.NRGBA // after Train-mode Apply, before normalize
}

// Examples returns n images of ds (chosen by a shuffle seeded by seed;
// all of them when n >= ds.Len()) before and after the Train-mode
// transforms, for notebooks to show. The same seed gives the same pairs.
func (p Pipeline) Examples(ds *data.Dataset, n int, seed int64) ([]Example, error) {
	if ds == nil || ds.Len() == 0 {
		return nil, fmt.Errorf("transforms: examples: empty dataset")
	}
	n = min(max(n, 0), ds.Len())
	pick := rand.New(rand.NewPCG(uint64(seed), 0)).Perm(ds.Len())[:n]
	train := p.InMode(Train)
	out := make([]Example, n)
	for i, idx := range pick {
		after, err := train.Apply(ds.Images[idx], data.SampleRand(seed, 0, i))
		if err != nil {
			return nil, fmt.Errorf("transforms: examples: image %d: %w", idx, err)
		}
		out[i] = Example{Label: ds.Labels[idx], Before: ds.Images[idx], After: after}
		if idx < len(ds.Sources) {
			out[i].Source = ds.Sources[idx]
		}
	}
	return out, nil
}
