package sampling

import (
	"slices"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
)

// TestConfigNames keeps the registry and the config's names in step: every
// sampling_strategy and sampling_weight the config accepts builds a sampler.
func TestConfigNames(t *testing.T) {
	strategies := []string{config.SamplingNone, config.SamplingWeighted, config.SamplingOversampling, config.SamplingUndersampling}
	slices.Sort(strategies)
	if !slices.Equal(Names(), strategies) {
		t.Errorf("registry %v, config %v", Names(), strategies)
	}
	d := config.Defaults()
	for _, weight := range []string{d.SamplingWeight, WeightInverse, WeightInverseSqrt} {
		if _, err := New(config.SamplingWeighted, Options{Weight: weight}); err != nil {
			t.Errorf("sampling_weight %q: %v", weight, err)
		}
	}
	if _, err := New(d.SamplingStrategy, Options{Weight: d.SamplingWeight}); err != nil {
		t.Errorf("default config: %v", err)
	}
}
