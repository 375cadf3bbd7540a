package sweep_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/sweep"
)

// The study's manual_opt example grid: MaxNorm thresholds crossed with CB
// betas. Each combination is a typed config; with K folds, each becomes K trials.
func ExampleSpec_Combinations() {
	s := sweep.Spec{Base: config.Defaults(), K: 3}
	s.Base.RegStrategy, s.Base.LossFamily, s.Base.LossType = "maxnorm", "CB", "CE"
	s.Vary("thresh", 0.5, 2)
	s.Vary("beta", 0.5, 0.9)
	combos, err := s.Combinations()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range combos {
		fmt.Println(c.Name, "thresh", c.Config.Thresh, "beta", c.Config.Beta)
	}
	// Output:
	// c000 thresh 0.5 beta 0.5
	// c001 thresh 2 beta 0.5
	// c002 thresh 0.5 beta 0.9
	// c003 thresh 2 beta 0.9
}
