package config_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/config"
)

// A var_dict written by the study's Python package decodes into a Config.
func ExampleDecode() {
	c := config.Defaults()
	unknown, err := config.Decode([]byte(`{"image_size": 224.0, "sampling_strategy": null, "normalize_mean": 0.5, "extra": 1}`), &c, false)
	fmt.Println(c.ImageSize, c.SamplingStrategy == "", c.NormalizeMean, unknown, err)
	// Output: 224 true [0.5] [extra] <nil>
}

func ExampleConfig_Validate() {
	c := config.Defaults()
	c.Beta = 1.5
	fmt.Println(c.Validate())
	// Output: config: field "beta": must be in [0, 1), got 1.5
}
