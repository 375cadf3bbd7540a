package datasets

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeFolder makes an image folder with counts[class] small files per class.
func fakeFolder(t *testing.T, counts map[string]int) string {
	t.Helper()
	dir := t.TempDir()
	for class, n := range counts {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range n {
			os.WriteFile(filepath.Join(dir, class, fmt.Sprintf("%s_%04d.jpg", class, i)), []byte(class), 0o644)
		}
		// Not images: skipped.
		os.WriteFile(filepath.Join(dir, class, ".hidden.jpg"), nil, 0o644)
		os.WriteFile(filepath.Join(dir, class, "notes.txt"), nil, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "README"), nil, 0o644)
	return dir
}

func TestStudySubset(t *testing.T) {
	src := fakeFolder(t, map[string]int{"a": 1100, "b": 600, "c": 400, "d": 120, "e": 90})
	tests := []struct {
		name        string
		spec        SubsetSpec
		wantClasses []string
		wantTrain   []int
		wantValid   []int
	}{
		{"study default", SubsetSpec{Seed: 1}, []string{"a", "b", "c", "d"}, StudyTrainCounts, StudyValidCounts},
		{"chosen classes and counts", SubsetSpec{Classes: []string{"e", "a"}, TrainCounts: []int{60, 6}, ValidCounts: []int{20, 2}, Seed: 3},
			[]string{"e", "a"}, []int{60, 6}, []int{20, 2}},
		{"imbalance factor", SubsetSpec{ImbalanceFactor: 10, MaxPerClass: 60, Seed: 1},
			[]string{"a", "b", "c", "d", "e"}, []int{60, 33, 18, 10, 6}, []int{20, 11, 6, 3, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := StudySubset(src, tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			train, valid := sub.Counts()
			if !slices.Equal(sub.Classes, tt.wantClasses) || !slices.Equal(train, tt.wantTrain) || !slices.Equal(valid, tt.wantValid) {
				t.Fatalf("classes %v train %v valid %v; want %v %v %v", sub.Classes, train, valid, tt.wantClasses, tt.wantTrain, tt.wantValid)
			}
			for c, class := range sub.Classes {
				seen := map[string]bool{}
				for _, p := range append(slices.Clone(sub.Train[c]), sub.Valid[c]...) {
					if seen[p] {
						t.Fatalf("%s chosen twice", p)
					}
					seen[p] = true
					if filepath.Base(filepath.Dir(p)) != class || !strings.HasSuffix(p, ".jpg") || strings.Contains(p, ".hidden") {
						t.Fatalf("class %s got %s", class, p)
					}
				}
			}
			again, _ := StudySubset(src, tt.spec)
			if !slices.EqualFunc(again.Train, sub.Train, slices.Equal) || !slices.EqualFunc(again.Valid, sub.Valid, slices.Equal) {
				t.Error("same seed gave a different subset")
			}
			spec := tt.spec
			spec.Seed++
			if other, _ := StudySubset(src, spec); slices.Equal(other.Train[0], sub.Train[0]) {
				t.Error("another seed gave the same head class")
			}
		})
	}
}

func TestStudySubsetErrors(t *testing.T) {
	src := fakeFolder(t, map[string]int{"a": 100, "b": 50})
	tests := []struct {
		spec SubsetSpec
		want string
	}{
		{SubsetSpec{}, "study subset of " + src + ": 4 counts but only 2 class folders"},
		{SubsetSpec{TrainCounts: []int{80, 10}, ValidCounts: []int{30, 5}}, `study subset: class "a" needs 110 images, ` + filepath.Join(src, "a") + " has 100"},
		{SubsetSpec{Classes: []string{"a", "z"}, TrainCounts: []int{1, 1}, ValidCounts: []int{1, 1}}, `study subset: class folder "z" not in ` + src + " (has a, b)"},
		{SubsetSpec{TrainCounts: []int{1}, ValidCounts: []int{1, 1}}, "study subset of " + src + ": 1 train counts but 2 valid counts"},
		{SubsetSpec{ImbalanceFactor: 10, TrainCounts: []int{1}}, "study subset of " + src + ": give either counts or imbalance_factor, not both"},
		{SubsetSpec{Classes: []string{"a", "a"}, TrainCounts: []int{1, 1}, ValidCounts: []int{1, 1}}, "study subset of " + src + `: class "a" listed twice`},
		{SubsetSpec{ImbalanceFactor: -10}, "study subset of " + src + ": imbalance_factor -10, need >= 1 (or 0 for counts)"},
		{SubsetSpec{ImbalanceFactor: 10, ValidRatio: -1}, "study subset of " + src + ": valid_ratio -1, need > 0"},
		{SubsetSpec{BalancedValid: true}, "study subset of " + src + ": balanced_valid needs imbalance_factor"},
		{SubsetSpec{Classes: []string{"a"}, TrainCounts: []int{0}, ValidCounts: []int{1}}, "study subset of " + src + ": class 0: train count 0, valid count 1; need train >= 1, valid >= 0"},
	}
	for _, tt := range tests {
		if _, err := StudySubset(src, tt.spec); err == nil || err.Error() != tt.want {
			t.Errorf("%+v: error %v,\nwant %q", tt.spec, err, tt.want)
		}
	}
	if _, err := StudySubset(filepath.Join(src, "missing"), SubsetSpec{}); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestStudySubsetValidFrom(t *testing.T) {
	// CIFAR-10-LT's recipe: long-tailed train from the training folder,
	// valid from a separate test folder, long-tailed or balanced.
	train := fakeFolder(t, map[string]int{"cat": 50, "dog": 50})
	test := fakeFolder(t, map[string]int{"cat": 10, "dog": 10})
	sub, err := StudySubset(train, SubsetSpec{ImbalanceFactor: 5, MaxPerClass: 50, ValidRatio: 0.2, ValidFrom: test, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tc, vc := sub.Counts()
	if !slices.Equal(tc, []int{50, 10}) || !slices.Equal(vc, []int{10, 2}) {
		t.Fatalf("counts %v %v", tc, vc)
	}
	bal, err := StudySubset(train, SubsetSpec{ImbalanceFactor: 5, MaxPerClass: 50, ValidRatio: 0.2, ValidFrom: test, BalancedValid: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if tc, vc := bal.Counts(); !slices.Equal(tc, []int{50, 10}) || !slices.Equal(vc, []int{10, 10}) {
		t.Fatalf("balanced valid: counts %v %v", tc, vc)
	}
	for c := range sub.Classes {
		for _, p := range sub.Valid[c] {
			if !strings.HasPrefix(p, test) {
				t.Errorf("valid file %s not from %s", p, test)
			}
		}
	}
}

func TestSubsetWrite(t *testing.T) {
	src := fakeFolder(t, map[string]int{"a": 10, "b": 5})
	sub, err := StudySubset(src, SubsetSpec{TrainCounts: []int{6, 3}, ValidCounts: []int{2, 1}, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, copyFiles := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "study")
		if err := sub.Write(out, copyFiles); err != nil {
			t.Fatal(err)
		}
		for split, want := range map[string][]int{"train": {6, 3}, "valid": {2, 1}} {
			for c, class := range sub.Classes {
				entries, _ := os.ReadDir(filepath.Join(out, split, class))
				if len(entries) != want[c] {
					t.Errorf("copy=%v %s/%s: %d files, want %d", copyFiles, split, class, len(entries), want[c])
				}
				for _, e := range entries {
					p := filepath.Join(out, split, class, e.Name())
					st, _ := os.Lstat(p)
					if isLink := st.Mode()&os.ModeSymlink != 0; isLink == copyFiles {
						t.Errorf("copy=%v: %s symlink=%v", copyFiles, p, isLink)
					}
					if b, err := os.ReadFile(p); err != nil || string(b) != class {
						t.Errorf("%s reads %q, %v", p, b, err)
					}
				}
			}
		}
		var back Subset
		b, err := os.ReadFile(filepath.Join(out, "subset.json"))
		if err != nil || json.Unmarshal(b, &back) != nil || !slices.Equal(back.Train[1], sub.Train[1]) || back.Spec.Seed != 4 {
			t.Errorf("subset.json does not round-trip: %v", err)
		}
		if err := sub.Write(out, copyFiles); err == nil {
			t.Error("writing into a non-empty folder gave no error")
		}
	}
}

// TestStudySubsetFlowers builds the study's set from the shared flowers
// folder when it is present.
func TestStudySubsetFlowers(t *testing.T) {
	src := findShared("datasets/flowers-recognition")
	if src == "" {
		t.Skip("flowers-recognition not present (shared/datasets/flowers-recognition in no parent folder): skipping the real-folder test")
	}
	sub, err := StudySubset(src, SubsetSpec{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	train, valid := sub.Counts()
	if !slices.Equal(sub.Classes, []string{"dandelion", "tulip", "rose", "daisy"}) ||
		!slices.Equal(train, StudyTrainCounts) || !slices.Equal(valid, StudyValidCounts) {
		t.Errorf("classes %v, train %v, valid %v", sub.Classes, train, valid)
	}
	out := filepath.Join(t.TempDir(), "study")
	if err := sub.Write(out, false); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(out, "train", "daisy"))
	if len(entries) != 75 {
		t.Errorf("train/daisy has %d links, want 75", len(entries))
	}
}

// findShared returns shared/<rel> in the nearest parent folder that has
// it (the project's shared material sits beside the checkout), or "".
func findShared(rel string) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
