package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/runlog"
	"github.com/debiaser/debiaser/toolkit/sampling"
)

// Spec is a whole search: what the manifest records and a rerun must match.
type Spec struct {
	Base config.Config `json:"base"`
	// Grid maps a config key (a var_dict key) to the values it takes.
	// Values are JSON, decoded into the typed config per combination.
	Grid map[string][]json.RawMessage `json:"grid"`
	// Variants are named changes of Base (methods to compare, say), each
	// crossed with the grid: a combination's config is Base, then its
	// variant's keys, then its grid values, and its Values hold the
	// variant's name under VariantKey. With variants the grid may be empty.
	Variants []Variant `json:"variants,omitempty"`
	K        int       `json:"k"`
	Seed     int64     `json:"seed"`
	// BestBy names the metric that picks the best combination (see Metrics).
	BestBy string `json:"best_by"`
	// Fingerprint identifies the training data (see data.Fingerprint); a
	// rerun on other data is refused.
	Fingerprint string `json:"fingerprint"`
}

// Variant is one named change of a search's base config.
type Variant struct {
	Name string `json:"name"`
	// Set holds var_dict keys and their values, as in the base.
	Set json.RawMessage `json:"set,omitempty"`
}

// VariantKey is the key of a combination's Values (and of the table's
// column) that names its variant.
const VariantKey = "variant"

// ParseSpec reads a search file: {"base": {var_dict keys}, "grid": {key:
// [values]}, "variants": [{"name": "...", "set": {var_dict keys}}], "k": 3,
// "seed": 1, "best_by": "valid_accuracy"}. The base is decoded strictly
// over config.Defaults (an unknown key is an error naming it); k defaults
// to 3. The fingerprint is set when the data is loaded.
func ParseSpec(data []byte) (Spec, error) {
	var f struct {
		Base     json.RawMessage              `json:"base"`
		Grid     map[string][]json.RawMessage `json:"grid"`
		Variants []Variant                    `json:"variants"`
		K        int                          `json:"k"`
		Seed     int64                        `json:"seed"`
		BestBy   string                       `json:"best_by"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Spec{}, fmt.Errorf("sweep: search file: %w (keys: base, grid, variants, k, seed, best_by)", err)
	}
	s := Spec{Base: config.Defaults(), Grid: f.Grid, Variants: f.Variants, K: f.K, Seed: f.Seed, BestBy: f.BestBy}
	if len(f.Base) > 0 {
		if _, err := config.Decode(f.Base, &s.Base, true); err != nil {
			return s, fmt.Errorf("sweep: search file: base: %w", err)
		}
	}
	if s.K == 0 {
		s.K = 3
	}
	if _, err := bestMetric(s.BestBy); err != nil {
		return s, fmt.Errorf("sweep: search file: %w", err)
	}
	return s, nil
}

// Combination is one point of the grid.
type Combination struct {
	Index  int                        `json:"index"`
	Name   string                     `json:"name"` // "c000", "c001", ...
	Values map[string]json.RawMessage `json:"values"`
	Config config.Config              `json:"-"`
}

// Trial is one combination trained on one fold.
type Trial struct {
	Index       int
	Combination Combination
	Fold        int
	Config      config.Config
	// TrainIdx and ValidIdx index the search's training data.
	TrainIdx, ValidIdx []int
	LogPath            string
	CheckpointDir      string
}

// Name is "c003-f1".
func (t Trial) Name() string { return fmt.Sprintf("%s-f%d", t.Combination.Name, t.Fold) }

// TrialFunc trains one trial and writes its run log at t.LogPath (with
// status finished when it succeeds).
type TrialFunc func(ctx context.Context, t Trial) error

// Share selects the trials one process runs: those with index mod Count == Index.
type Share struct{ Index, Count int }

// Vary adds a grid axis; values are marshalled to JSON.
func (s *Spec) Vary(key string, values ...any) error {
	if s.Grid == nil {
		s.Grid = map[string][]json.RawMessage{}
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("sweep: grid %q: %w", key, err)
		}
		s.Grid[key] = append(s.Grid[key], b)
	}
	return nil
}

// Combinations expands the variants and the grid (variants in their order,
// then the grid's keys in sorted order, the last key varying fastest),
// decoding each into a typed config. An unknown key or a value of the
// wrong type is an error naming the key (and the variant).
func (s Spec) Combinations() ([]Combination, error) {
	if len(s.Grid) == 0 && len(s.Variants) == 0 {
		return nil, errors.New("sweep: the grid is empty (and there are no variants)")
	}
	seen := map[string]bool{}
	for i, v := range s.Variants {
		switch {
		case v.Name == "":
			return nil, fmt.Errorf("sweep: variant %d has no name", i)
		case seen[v.Name]:
			return nil, fmt.Errorf("sweep: variant %q is named twice", v.Name)
		}
		seen[v.Name] = true
	}
	if _, ok := s.Grid[VariantKey]; ok {
		return nil, fmt.Errorf("sweep: grid key %q is not a var_dict key (variants are named there)", VariantKey)
	}
	for k := range s.Grid {
		if slices.Contains(DataKeys, k) {
			return nil, dataKeyError("grid key", k)
		}
	}
	for _, v := range s.Variants {
		var set map[string]json.RawMessage
		if json.Unmarshal(v.Set, &set) == nil {
			for k := range set {
				if slices.Contains(DataKeys, k) {
					return nil, dataKeyError(fmt.Sprintf("variant %q: key", v.Name), k)
				}
			}
		}
	}
	grid, err := s.gridValues()
	if err != nil {
		return nil, err
	}
	variants := s.Variants
	if len(variants) == 0 {
		variants = []Variant{{}}
	}
	var out []Combination
	for _, v := range variants {
		base := s.Base
		if len(v.Set) > 0 {
			if _, err := config.Decode(v.Set, &base, true); err != nil {
				return nil, fmt.Errorf("sweep: variant %q: %w", v.Name, err)
			}
		}
		for _, values := range grid {
			obj, _ := json.Marshal(values)
			cfg := base
			if _, err := config.Decode(obj, &cfg, true); err != nil {
				return nil, fmt.Errorf("sweep: grid: %w", err)
			}
			if v.Name != "" {
				values = maps.Clone(values)
				values[VariantKey], _ = json.Marshal(v.Name)
			}
			// Every name and range a run checks, before anything trains.
			if err := errors.Join(cfg.Validate(), models.CheckName(cfg.ModelName), losses.FromConfig(cfg).ValidateNames(), runlog.CheckBestBy(cfg.BestBy)); err != nil {
				what := fmt.Sprintf("combination %s", obj)
				if v.Name != "" {
					what = fmt.Sprintf("variant %q, %s", v.Name, what)
				}
				return nil, fmt.Errorf("sweep: %s: %w", what, err)
			}
			i := len(out)
			out = append(out, Combination{Index: i, Name: fmt.Sprintf("c%03d", i), Values: values, Config: cfg})
		}
	}
	return out, nil
}

// DataKeys are the var_dict keys that decide a search's data: it loads the
// training set once, from its base config, and splits it into K folds, so
// a grid or a variant may not change them.
var DataKeys = []string{"dataset", "train_path", "valid_path", "valid_fraction", "imbalance_factor", "skip_bad_files"}

func dataKeyError(what, key string) error {
	return fmt.Errorf("sweep: %s %q decides the data, which a search loads once from its base config (and splits into K folds): run one search per value instead", what, key)
}

// gridValues lists the grid's points (keys in sorted order, the last key
// varying fastest), each a map from key to value; an empty grid has one
// point, with no keys.
func (s Spec) gridValues() ([]map[string]json.RawMessage, error) {
	keys := make([]string, 0, len(s.Grid))
	for k, vs := range s.Grid {
		if len(vs) == 0 {
			return nil, fmt.Errorf("sweep: grid key %q has no values", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 1
	for _, k := range keys {
		n *= len(s.Grid[k])
	}
	out := make([]map[string]json.RawMessage, n)
	for i := range out {
		values := map[string]json.RawMessage{}
		rest := i
		for j := len(keys) - 1; j >= 0; j-- {
			vs := s.Grid[keys[j]]
			values[keys[j]] = vs[rest%len(vs)]
			rest /= len(vs)
		}
		out[i] = values
	}
	return out, nil
}

// Trials checks the spec against the training labels and lists every
// trial, before anything trains: K must be at least 2 and at most the
// smallest class, and every fold must hold every class on both sides.
func (s Spec) Trials(dir string, labels []int, numClasses int) ([]Trial, error) {
	// A bad best_by is reported before any trial trains, not after all.
	if _, err := bestMetric(s.BestBy); err != nil {
		return nil, err
	}
	combos, err := s.Combinations()
	if err != nil {
		return nil, err
	}
	folds, err := sampling.StratifiedKFold(labels, s.K, s.Seed)
	if err != nil {
		return nil, fmt.Errorf("sweep: k=%d: %w", s.K, err)
	}
	for f, fold := range folds {
		for side, idx := range [2][]int{fold.Train, fold.Valid} {
			seen := make([]bool, numClasses)
			for _, i := range idx {
				seen[labels[i]] = true
			}
			for c, ok := range seen {
				if !ok {
					return nil, fmt.Errorf("sweep: fold %d has no class %d in its %s part", f, c, [2]string{"train", "validation"}[side])
				}
			}
		}
	}
	var trials []Trial
	for _, c := range combos {
		for f, fold := range folds {
			t := Trial{Index: len(trials), Combination: c, Fold: f, Config: c.Config, TrainIdx: fold.Train, ValidIdx: fold.Valid}
			t.LogPath = filepath.Join(dir, "trials", t.Name()+".json")
			t.CheckpointDir = filepath.Join(dir, "trials", t.Name()+".ckpt")
			trials = append(trials, t)
		}
	}
	return trials, nil
}

const manifestName = "manifest.json"

// Prepare writes the manifest, or checks that an existing one describes
// the same search (grid, folds, seed, base config, data fingerprint).
func Prepare(dir string, s Spec) error {
	if err := os.MkdirAll(filepath.Join(dir, "trials"), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	path := filepath.Join(dir, manifestName)
	want, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return writeAtomic(path, want)
	}
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	var prev Spec
	if err := json.Unmarshal(old, &prev); err != nil {
		return fmt.Errorf("sweep: %s is not a search manifest: %w", path, err)
	}
	if diff := s.differences(prev); diff != "" {
		return fmt.Errorf("sweep: %s describes another search (%s differ): use a new folder", path, diff)
	}
	return nil
}

func (s Spec) differences(prev Spec) string {
	var d []string
	if prev.Fingerprint != s.Fingerprint {
		d = append(d, "data fingerprint")
	}
	if !reflect.DeepEqual(canonical(prev.Grid), canonical(s.Grid)) {
		d = append(d, "grid")
	}
	if !reflect.DeepEqual(canonicalVariants(prev.Variants), canonicalVariants(s.Variants)) {
		d = append(d, "variants")
	}
	if prev.K != s.K {
		d = append(d, "k")
	}
	if prev.Seed != s.Seed {
		d = append(d, "seed")
	}
	a, _ := json.Marshal(prev.Base)
	b, _ := json.Marshal(s.Base)
	if !bytes.Equal(a, b) {
		d = append(d, "base config")
	}
	return strings.Join(d, ", ")
}

func canonicalVariants(vs []Variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		var buf bytes.Buffer
		if json.Compact(&buf, v.Set) != nil {
			buf.Reset()
			buf.Write(v.Set)
		}
		out[i] = v.Name + " " + buf.String()
	}
	return out
}

func canonical(g map[string][]json.RawMessage) map[string][]string {
	out := map[string][]string{}
	for k, vs := range g {
		for _, v := range vs {
			var buf bytes.Buffer
			if json.Compact(&buf, v) != nil {
				buf.Reset()
				buf.Write(v)
			}
			out[k] = append(out[k], buf.String())
		}
	}
	return out
}

// Progress counts what Run did.
type Progress struct{ Ran, Skipped int }

// Run runs this share's trials in dir, skipping those whose log says they
// finished and redoing any other (a killed trial's half-done log and
// checkpoint are removed first). Prepare must have been called.
func Run(ctx context.Context, dir string, s Spec, trials []Trial, share Share, fn TrialFunc) (Progress, error) {
	var p Progress
	if share.Count < 1 || share.Index < 0 || share.Index >= share.Count {
		return p, fmt.Errorf("sweep: share index %d of count %d is out of range", share.Index, share.Count)
	}
	if err := Prepare(dir, s); err != nil {
		return p, err
	}
	for _, t := range trials {
		if t.Index%share.Count != share.Index {
			continue
		}
		if finished(t.LogPath) {
			p.Skipped++
			continue
		}
		if err := ctx.Err(); err != nil {
			return p, err
		}
		_ = os.Remove(t.LogPath)
		_ = os.RemoveAll(t.CheckpointDir)
		if err := fn(ctx, t); err != nil {
			return p, fmt.Errorf("sweep: trial %s: %w", t.Name(), err)
		}
		if !finished(t.LogPath) {
			return p, fmt.Errorf("sweep: trial %s: no finished log at %s", t.Name(), t.LogPath)
		}
		p.Ran++
	}
	return p, nil
}

func finished(path string) bool {
	l, err := runlog.Read(path)
	return err == nil && l.Run != nil && l.Run.Status == runlog.StatusFinished
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".manifest-*")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("sweep: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("sweep: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
