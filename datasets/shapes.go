package datasets

import (
	"fmt"
	"math/rand/v2"

	"github.com/debiaser/debiaser/toolkit/data"
)

// ShapesClasses are the classes of ShapesStudy, head class first.
var ShapesClasses = []string{"circle", "square", "triangle", "ring"}

// ShapesSize is the side of ShapesStudy's images; the loader resizes them
// to the run's image size.
const ShapesSize = 64

// ShapesStudy is a generated stand-in with the study's shape: four classes
// with the study's counts (train 750/425/250/75, valid 250/150/75/25), one
// filled shape per image (circle, square, triangle, ring) in a random
// bright colour, size and place. It needs no files, so it times the full
// study anywhere (a GPU machine without the flowers); its accuracies say
// nothing about flowers. Options.Seed picks the images; the other options
// are ignored.
func ShapesStudy(opts Options) (train, valid *data.Dataset, err error) {
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5ba9e5))
	make1 := func(split string, counts []int) *data.Dataset {
		d := &data.Dataset{Classes: ShapesClasses}
		for c, n := range counts {
			for i := range n {
				d.Images = append(d.Images, drawShape(rng, c, ShapesSize))
				d.Labels = append(d.Labels, c)
				d.Sources = append(d.Sources, fmt.Sprintf("shapes-study/%s/%s/%d", split, ShapesClasses[c], i))
			}
		}
		return d
	}
	return make1("train", StudyTrainCounts), make1("valid", StudyValidCounts), nil
}
