package datasets

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Study counts: the study's four flower classes, largest first.
var (
	StudyTrainCounts = []int{750, 425, 250, 75}
	StudyValidCounts = []int{250, 150, 75, 25}
)

// SubsetSpec says which images of an image folder (one sub-folder per
// class) make a study set. Counts are given either directly (TrainCounts,
// ValidCounts; both empty means the study's) or by an imbalance factor.
type SubsetSpec struct {
	// Classes are the class folders to use, head class first. Empty: the
	// folders with the most images (ties by name), as many as there are
	// counts, or all of them when ImbalanceFactor is set.
	Classes []string `json:"classes,omitempty"`
	// TrainCounts and ValidCounts are the images per class, in Classes
	// order; both empty means StudyTrainCounts and StudyValidCounts.
	TrainCounts []int `json:"train_counts,omitempty"`
	ValidCounts []int `json:"valid_counts,omitempty"`
	// ImbalanceFactor, when > 0, replaces the counts by the long-tailed
	// profile LongTailCounts(MaxPerClass, len(Classes), ImbalanceFactor)
	// for train, and the same profile from round(MaxPerClass*ValidRatio)
	// for valid.
	ImbalanceFactor float64 `json:"imbalance_factor,omitempty"`
	MaxPerClass     int     `json:"max_per_class,omitempty"` // 0: 750, the study's largest class
	ValidRatio      float64 `json:"valid_ratio,omitempty"`   // 0: 1/3, the study's 3:1
	// BalancedValid gives every valid class round(MaxPerClass*ValidRatio)
	// images (the usual CIFAR-LT evaluation) instead of the profile.
	BalancedValid bool `json:"balanced_valid,omitempty"`
	// ValidFrom, when set, is a second image folder with the same class
	// folders (a test split, as CIFAR-10's) that the valid images are
	// drawn from; otherwise they come from the source folder, disjoint
	// from the train images.
	ValidFrom string `json:"valid_from,omitempty"`
	Seed      int64  `json:"seed"`
}

// Subset is a chosen study set: file paths per class, head class first.
type Subset struct {
	Source  string     `json:"source"`
	Spec    SubsetSpec `json:"spec"`
	Classes []string   `json:"classes"`
	Train   [][]string `json:"train"` // Train[c]: the files of Classes[c]
	Valid   [][]string `json:"valid"`
}

// imageExts are the file name endings StudySubset counts as images.
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".bmp": true}

// StudySubset picks, with a seeded shuffle per class, the train and valid
// images that spec asks for from the image folder src. It only reads
// folder listings; Write materialises the result.
func StudySubset(src string, spec SubsetSpec) (*Subset, error) {
	files, err := listImageFolder(src)
	if err != nil {
		return nil, err
	}
	classes, trainCounts, validCounts, err := resolveCounts(spec, files)
	if err != nil {
		return nil, fmt.Errorf("study subset of %s: %w", src, err)
	}
	var validFiles map[string][]string
	if spec.ValidFrom != "" {
		if validFiles, err = listImageFolder(spec.ValidFrom); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(uint64(spec.Seed), 0x5b5e7))
	sub := &Subset{Source: src, Spec: spec, Classes: classes,
		Train: make([][]string, len(classes)), Valid: make([][]string, len(classes))}
	for c, class := range classes {
		pool, ok := files[class]
		if !ok {
			return nil, fmt.Errorf("study subset: class folder %q not in %s (has %s)", class, src, strings.Join(sortedKeys(files), ", "))
		}
		pool = shuffled(rng, pool)
		need := trainCounts[c]
		if validFiles == nil {
			need += validCounts[c]
		}
		if need > len(pool) {
			return nil, fmt.Errorf("study subset: class %q needs %d images, %s has %d", class, need, filepath.Join(src, class), len(pool))
		}
		sub.Train[c] = sortedCopy(pool[:trainCounts[c]])
		if validFiles == nil {
			sub.Valid[c] = sortedCopy(pool[trainCounts[c]:need])
			continue
		}
		vpool := shuffled(rng, validFiles[class])
		if validCounts[c] > len(vpool) {
			return nil, fmt.Errorf("study subset: class %q needs %d valid images, %s has %d", class, validCounts[c], filepath.Join(spec.ValidFrom, class), len(vpool))
		}
		sub.Valid[c] = sortedCopy(vpool[:validCounts[c]])
	}
	return sub, nil
}

// resolveCounts turns spec into the classes and their train and valid
// counts (imbalanced-learn's one normalisation of sampling targets).
func resolveCounts(spec SubsetSpec, files map[string][]string) (classes []string, train, valid []int, err error) {
	classes = spec.Classes
	seen := map[string]bool{}
	for _, c := range classes {
		if seen[c] {
			return nil, nil, nil, fmt.Errorf("class %q listed twice", c)
		}
		seen[c] = true
	}
	if spec.ImbalanceFactor < 0 {
		return nil, nil, nil, fmt.Errorf("imbalance_factor %v, need >= 1 (or 0 for counts)", spec.ImbalanceFactor)
	}
	if spec.BalancedValid && spec.ImbalanceFactor == 0 {
		return nil, nil, nil, fmt.Errorf("balanced_valid needs imbalance_factor")
	}
	if spec.ImbalanceFactor > 0 {
		if len(spec.TrainCounts)+len(spec.ValidCounts) > 0 {
			return nil, nil, nil, fmt.Errorf("give either counts or imbalance_factor, not both")
		}
		if len(classes) == 0 {
			classes = largestFirst(files, len(files))
		}
		nMax, ratio := spec.MaxPerClass, spec.ValidRatio
		if nMax == 0 {
			nMax = StudyTrainCounts[0]
		}
		if ratio == 0 {
			ratio = 1.0 / 3
		}
		train, valid, err = longTailSplits(nMax, len(classes), spec.ImbalanceFactor, ratio, spec.BalancedValid)
		return classes, train, valid, err
	}
	train, valid = spec.TrainCounts, spec.ValidCounts
	if len(train) == 0 && len(valid) == 0 {
		train, valid = StudyTrainCounts, StudyValidCounts
	}
	if len(train) != len(valid) {
		return nil, nil, nil, fmt.Errorf("%d train counts but %d valid counts", len(train), len(valid))
	}
	for c := range train {
		if train[c] < 1 || valid[c] < 0 {
			return nil, nil, nil, fmt.Errorf("class %d: train count %d, valid count %d; need train >= 1, valid >= 0", c, train[c], valid[c])
		}
	}
	if len(classes) == 0 {
		if len(files) < len(train) {
			return nil, nil, nil, fmt.Errorf("%d counts but only %d class folders", len(train), len(files))
		}
		classes = largestFirst(files, len(train))
	}
	if len(classes) != len(train) {
		return nil, nil, nil, fmt.Errorf("%d classes but %d counts", len(classes), len(train))
	}
	return classes, train, valid, nil
}

// Write materialises the subset as an image folder: dir/train/<class>/
// and dir/valid/<class>/ holding symbolic links to the source files (or
// copies when copyFiles is set), plus dir/subset.json recording the
// source, spec and chosen files. dir must be absent or empty.
func (s *Subset) Write(dir string, copyFiles bool) error {
	if err := ensureEmptyDir(dir); err != nil {
		return err
	}
	for split, perClass := range map[string][][]string{"train": s.Train, "valid": s.Valid} {
		for c, paths := range perClass {
			classDir := filepath.Join(dir, split, s.Classes[c])
			if err := os.MkdirAll(classDir, 0o755); err != nil {
				return err
			}
			for _, p := range paths {
				dst := filepath.Join(classDir, filepath.Base(p))
				if err := place(p, dst, copyFiles); err != nil {
					return fmt.Errorf("study subset: %w", err)
				}
			}
		}
	}
	manifest, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "subset.json"), append(manifest, '\n'), 0o644)
}

// Counts returns the train and valid image counts per class.
func (s *Subset) Counts() (train, valid []int) {
	for c := range s.Classes {
		train = append(train, len(s.Train[c]))
		valid = append(valid, len(s.Valid[c]))
	}
	return train, valid
}

func place(src, dst string, copyFile bool) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	if !copyFile {
		return os.Symlink(abs, dst)
	}
	in, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// listImageFolder returns the image files of each class folder of dir,
// sorted; hidden entries are skipped.
func listImageFolder(dir string) (map[string][]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	files := map[string][]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !isDir(filepath.Join(dir, e.Name())) {
			continue
		}
		classDir := filepath.Join(dir, e.Name())
		inner, err := os.ReadDir(classDir)
		if err != nil {
			return nil, fmt.Errorf("image folder: %w", err)
		}
		var paths []string
		for _, f := range inner {
			if !strings.HasPrefix(f.Name(), ".") && imageExts[strings.ToLower(filepath.Ext(f.Name()))] {
				paths = append(paths, filepath.Join(classDir, f.Name()))
			}
		}
		files[e.Name()] = paths // already sorted: ReadDir sorts by name
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("image folder %s has no class folders", dir)
	}
	return files, nil
}

func isDir(path string) bool {
	st, err := os.Stat(path) // follows links, so linked class folders count
	return err == nil && st.IsDir()
}

// largestFirst returns the n class names with the most files, ties by name.
func largestFirst(files map[string][]string, n int) []string {
	names := sortedKeys(files)
	sort.SliceStable(names, func(i, j int) bool { return len(files[names[i]]) > len(files[names[j]]) })
	return names[:n]
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func shuffled(rng *rand.Rand, s []string) []string {
	out := append([]string(nil), s...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
