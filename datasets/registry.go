package datasets

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/debiaser/debiaser/toolkit/data"
)

// ErrNotInstalled reports that a dataset's files are not on this machine;
// the wrapping error says how to get them.
var ErrNotInstalled = errors.New("dataset files not installed")

// Options shape an embedded long-tailed dataset. The zero value gives the
// defaults: imbalance factor 10 (the study's ratio), 500 training images in
// the largest class, a validation split imbalanced like the training split
// at 1/3 of its size (the study's 3:1).
type Options struct {
	// ImbalanceFactor is n_max/n_min of the training split (config
	// field imbalance_factor); 0 means 10.
	ImbalanceFactor float64 `json:"imbalance_factor,omitempty"`
	// MaxPerClass is n_max, the training images of class 0; 0 means 500,
	// small enough for a demo to train in minutes on two CPU cores.
	MaxPerClass int `json:"max_per_class,omitempty"`
	// ValidRatio sizes the validation split: its class 0 has
	// round(MaxPerClass*ValidRatio) images; 0 means 1/3.
	ValidRatio float64 `json:"valid_ratio,omitempty"`
	// BalancedValid gives every validation class the same count (the
	// usual CIFAR-LT evaluation) instead of the training profile (the
	// study's, whose validation set was imbalanced like its training set).
	BalancedValid bool `json:"balanced_valid,omitempty"`
	// Seed drives which images are kept.
	Seed int64 `json:"seed,omitempty"`
}

func (o Options) withDefaults() Options {
	if o.ImbalanceFactor == 0 {
		o.ImbalanceFactor = 10
	}
	if o.MaxPerClass == 0 {
		o.MaxPerClass = 500
	}
	if o.ValidRatio == 0 {
		o.ValidRatio = 1.0 / 3
	}
	return o
}

// Loader returns the training and validation splits of an embedded dataset.
type Loader func(Options) (train, valid *data.Dataset, err error)

// Known maps each embedded dataset name (the config field dataset) to its
// loader.
var Known = map[string]Loader{
	"mnist-lt":         MNISTLT,
	"fashion-mnist-lt": FashionMNISTLT,
	"shapes-study":     ShapesStudy,
}

// Default is the embedded dataset used when none is named.
const Default = "mnist-lt"

// Names returns the names of Known, sorted.
func Names() []string {
	names := make([]string, 0, len(Known))
	for n := range Known {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load returns the named embedded dataset; "" means Default.
func Load(name string, opts Options) (train, valid *data.Dataset, err error) {
	if name == "" {
		name = Default
	}
	load, ok := Known[name]
	if !ok {
		return nil, nil, fmt.Errorf("dataset %q unknown, valid: %s", name, strings.Join(Names(), ", "))
	}
	return load(opts)
}
