package toolkit

import (
	"bytes"
	gocontext "context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/sweep"
	"github.com/debiaser/debiaser/toolkit/train"
)

// Search runs the study's manual_opt: spec's grid crossed with K
// stratified folds of the training data spec.Base names, each trial an
// ordinary run (its log in dir/trials). share picks this process's trials
// (Share{0, 1}: all of them). When every trial has finished, the table of
// mean and standard deviation per combination is returned; otherwise the
// table is nil (collect it later with sweep.Collect). Samplers apply to
// each training fold only; validation folds are untouched.
func Search(ctx gocontext.Context, spec sweep.Spec, dir string, share sweep.Share, progress io.Writer) (*sweep.Table, sweep.Progress, error) {
	return SearchOn(ctx, spec, dir, share, "", progress)
}

// SearchOn is Search with every trial on the given backend spec (see
// SelectBackend) instead of the base config's: the backend is this
// process's choice, so the manifest, which every share must match, keeps
// the base config as written. Each trial's log records the backend it ran on.
func SearchOn(ctx gocontext.Context, spec sweep.Spec, dir string, share sweep.Share, backend string, progress io.Writer) (*sweep.Table, sweep.Progress, error) {
	var p sweep.Progress
	split, err := LoadData(spec.Base)
	if err != nil {
		return nil, p, err
	}
	all := split.Train
	spec.Fingerprint = all.Fingerprint()
	trials, err := spec.Trials(dir, all.Labels, len(all.Classes))
	if err != nil {
		return nil, p, err
	}
	// The folds of a configuration start alike: their initial values (the
	// model's random weights, the optimizer's state) are made once.
	initial := newSearchInitial()
	defer initial.Free()
	p, err = sweep.Run(ctx, dir, spec, trials, share, func(ctx gocontext.Context, t sweep.Trial) error {
		tr, err := all.Subset(t.TrainIdx)
		if err != nil {
			return err
		}
		va, err := all.Subset(t.ValidIdx)
		if err != nil {
			return err
		}
		if progress != nil {
			fmt.Fprintf(progress, "trial %s (%d/%d)\n", t.Name(), t.Index+1, len(trials))
		}
		cfg := t.Config
		if backend != "" {
			cfg.Backend = backend
		}
		e := FromConfig(cfg).Datasets(tr, va).Note(t.Name()).LogPath(t.LogPath).Verbose(progress)
		e.initial = initial
		e.skipped = split.Skipped
		r, err := e.Run(ctx)
		r.Free() // a trial keeps its log only
		return err
	})
	if err != nil {
		return nil, p, err
	}
	t, err := sweep.Collect(dir)
	if err != nil && share.Count > 1 {
		return nil, p, nil // other shares may still be running
	}
	return t, p, err
}

// newSearchInitial makes a search's store of initial values (a variable
// for tests, which look at its hits).
var newSearchInitial = func() *train.InitialValues { return train.NewInitialValues().KeepAtMost(2) }

// ParseSearchSpec is sweep.ParseSpec that also takes "methods": names of
// StudyMethods and ExtraMethods (or "study", "extra"), each added to the
// spec's variants as the config changes that method makes to the base
// (MethodVariants), so that a search compares methods under K-fold
// cross-validation, crossed with the grid.
func ParseSearchSpec(data []byte) (sweep.Spec, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return sweep.ParseSpec(data) // its error names the problem
	}
	raw, ok := obj["methods"]
	if !ok {
		return sweep.ParseSpec(data)
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return sweep.Spec{}, fmt.Errorf("search file: methods: %w (want a list of method names)", err)
	}
	delete(obj, "methods")
	rest, err := json.Marshal(obj)
	if err != nil {
		return sweep.Spec{}, err
	}
	spec, err := sweep.ParseSpec(rest)
	if err != nil {
		return spec, err
	}
	variants, err := MethodVariants(spec.Base, names...)
	if err != nil {
		return spec, fmt.Errorf("search file: %w", err)
	}
	spec.Variants = append(spec.Variants, variants...)
	return spec, nil
}

// MethodVariants turns study methods (names as StudyOptions.Methods takes
// them) into search variants: each the var_dict keys the method changes in
// base, with their new values.
func MethodVariants(base config.Config, names ...string) ([]sweep.Variant, error) {
	methods, err := pickMethods(names)
	if err != nil {
		return nil, err
	}
	before, err := configMap(base)
	if err != nil {
		return nil, err
	}
	var out []sweep.Variant
	for _, m := range methods {
		cfg, err := m.Apply(FromConfig(base)).Config()
		if err != nil {
			return nil, fmt.Errorf("method %q: %w", m.Name, err)
		}
		after, err := configMap(cfg)
		if err != nil {
			return nil, err
		}
		set := map[string]json.RawMessage{}
		for k, v := range after {
			if !bytes.Equal(v, before[k]) {
				set[k] = v
			}
		}
		v := sweep.Variant{Name: m.Name}
		if len(set) > 0 {
			if v.Set, err = json.Marshal(set); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// configMap is c's var_dict as a map from key to JSON value.
func configMap(c config.Config) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(b, &m)
}
