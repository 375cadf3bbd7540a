package sampling

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// Sampler chooses the training examples of one epoch.
type Sampler interface {
	// Indices returns the epoch's indices into labels, in the order to
	// visit them. labels[i] must lie in [0, numClasses). The result depends
	// only on (labels, numClasses, epoch, seed).
	Indices(labels []int, numClasses int, epoch int, seed int64) ([]int, error)
}

// Targeter is implemented by samplers whose per-class counts are fixed in
// advance (none, oversampling, undersampling); weighted sampling is random
// in its class counts and does not implement it.
type Targeter interface {
	// TargetCounts returns how many samples of each class an epoch draws,
	// given the class counts of the training labels.
	TargetCounts(counts []int) []int
}

// Weight names for Options.Weight (the config's sampling_weight).
const (
	WeightInverse     = "inverse"      // 1/n_c, torchsampler's
	WeightInverseSqrt = "inverse_sqrt" // 1/sqrt(n_c), a milder re-balancing
)

// Options tune a sampler; the zero value is the default of every sampler.
type Options struct {
	// Weight is the per-sample weight of weighted sampling: "inverse"
	// (default, also "") or "inverse_sqrt". Other samplers ignore it.
	Weight string `json:"sampling_weight,omitempty"`
}

// Known maps each sampling_strategy name to its constructor.
var Known = map[string]func(Options) (Sampler, error){
	"none":          func(Options) (Sampler, error) { return None{}, nil },
	"weighted":      newWeighted,
	"oversampling":  func(Options) (Sampler, error) { return Oversampling{}, nil },
	"undersampling": func(Options) (Sampler, error) { return Undersampling{}, nil },
}

// Names returns the registry's names, sorted.
func Names() []string {
	names := make([]string, 0, len(Known))
	for name := range Known {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// New returns the sampler registered under name; "" means "none".
func New(name string, opts Options) (Sampler, error) {
	if name == "" {
		name = "none"
	}
	ctor, ok := Known[name]
	if !ok {
		return nil, fmt.Errorf("sampling_strategy %q unknown, valid: %s", name, strings.Join(Names(), ", "))
	}
	return ctor(opts)
}

// ClassCounts returns how many of the indices point at each class.
func ClassCounts(labels, indices []int, numClasses int) []int {
	counts := make([]int, numClasses)
	for _, i := range indices {
		counts[labels[i]]++
	}
	return counts
}

// newRand returns the random stream of one epoch: PCG seeded by the run
// seed, with the epoch as its second word so epochs differ.
func newRand(seed int64, epoch int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(epoch)))
}

// byClass checks labels and groups their indices by class, in index order.
func byClass(labels []int, numClasses int) ([][]int, error) {
	if numClasses < 1 {
		return nil, fmt.Errorf("sampling: numClasses %d < 1", numClasses)
	}
	groups := make([][]int, numClasses)
	for i, y := range labels {
		if y < 0 || y >= numClasses {
			return nil, fmt.Errorf("sampling: label %d at index %d outside [0, %d)", y, i, numClasses)
		}
		groups[y] = append(groups[y], i)
	}
	return groups, nil
}

func countsOf(groups [][]int) []int {
	counts := make([]int, len(groups))
	for c, g := range groups {
		counts[c] = len(g)
	}
	return counts
}

// extremes returns the smallest and largest non-zero class counts; classes
// absent from the labels take no part in re-balancing.
func extremes(counts []int) (lo, hi int) {
	for _, n := range counts {
		if n == 0 {
			continue
		}
		if lo == 0 || n < lo {
			lo = n
		}
		if n > hi {
			hi = n
		}
	}
	return lo, hi
}
