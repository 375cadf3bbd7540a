package data

import (
	"errors"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
)

func TestLoadSplitLayout(t *testing.T) {
	dir := t.TempDir()
	train := makeTree(t, filepath.Join(dir, "train"), map[string]int{"dog": 3, "cat": 5, "frog": 1})
	valid := makeTree(t, filepath.Join(dir, "valid"), map[string]int{"dog": 1, "cat": 2, "frog": 1})
	// Ignored: hidden files and folders, plain files in the root.
	writeFile(t, train, ".DS_Store", []byte("junk"))
	writeFile(t, train, "cat/.hidden.png", []byte("junk"))
	writeFile(t, train, ".cache/x.png", []byte("junk"))
	writeFile(t, train, "README.txt", []byte("junk"))
	// Nested folders below a class folder count for that class.
	writeFile(t, train, "frog/more/deep.png", encode(t, solid(9, 9, classColor["frog"]), "png"))

	split, err := LoadSplit(train, valid, Options{ImageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	wantClasses := []string{"cat", "dog", "frog"}
	for _, tt := range []struct {
		name   string
		ds     *Dataset
		counts []int
	}{
		{"train", split.Train, []int{5, 3, 2}},
		{"valid", split.Valid, []int{2, 1, 1}},
	} {
		if !slices.Equal(tt.ds.Classes, wantClasses) {
			t.Errorf("%s classes %v, want %v", tt.name, tt.ds.Classes, wantClasses)
		}
		if got := tt.ds.Counts(); !slices.Equal(got, tt.counts) {
			t.Errorf("%s counts %v, want %v", tt.name, got, tt.counts)
		}
		if len(tt.ds.Images) != tt.ds.Len() || len(tt.ds.Sources) != tt.ds.Len() {
			t.Fatalf("%s: %d images, %d sources, %d labels", tt.name, len(tt.ds.Images), len(tt.ds.Sources), tt.ds.Len())
		}
		for i, img := range tt.ds.Images {
			class := tt.ds.Classes[tt.ds.Labels[i]]
			if img.Bounds().Dx() != 4 || img.Bounds().Dy() != 4 {
				t.Errorf("%s image %d: bounds %v, want 4x4", tt.name, i, img.Bounds())
			}
			if c := img.NRGBAAt(1, 1); c != classColor[class] {
				t.Errorf("%s image %d (%s) labelled %s has colour %v", tt.name, i, tt.ds.Sources[i], class, c)
			}
			if !strings.Contains(tt.ds.Sources[i], string(filepath.Separator)+class+string(filepath.Separator)) {
				t.Errorf("%s image %d: source %s not in class folder %s", tt.name, i, tt.ds.Sources[i], class)
			}
		}
	}
	if len(split.Skipped) != 0 {
		t.Errorf("skipped %v, want none", split.Skipped)
	}
}

// badTree is a train folder with two bad files among good ones.
func badTree(t *testing.T) (root string, bad []string) {
	root = makeTree(t, filepath.Join(t.TempDir(), "train"), map[string]int{"cat": 3, "dog": 3})
	jpg := encode(t, solid(16, 16, classColor["cat"]), "jpg")
	bad = []string{
		writeFile(t, root, "cat/broken.jpg", jpg[:len(jpg)/2]),
		writeFile(t, root, "dog/notes.txt", []byte("not an image")),
	}
	return root, bad
}

func TestLoadBadFileFailsNamingIt(t *testing.T) {
	root, bad := badTree(t)
	// Whatever the scheduling, the error is about the first bad file in
	// path order.
	for _, workers := range []int{1, 3, 8} {
		_, _, err := Load(root, Options{ImageSize: 4, Workers: workers})
		if err == nil {
			t.Fatalf("workers %d: Load succeeded with bad files", workers)
		}
		if !errors.Is(err, ErrBadImage) || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("workers %d: error %q, want ErrBadImage naming %s", workers, err, bad[0])
		}
	}
}

func TestLoadSkipBadFiles(t *testing.T) {
	root, bad := badTree(t)
	ds, skipped, err := Load(root, Options{ImageSize: 4, SkipBadFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Counts(); !slices.Equal(got, []int{3, 3}) {
		t.Errorf("counts %v, want [3 3]", got)
	}
	if len(skipped) != 2 {
		t.Fatalf("skipped %v, want the 2 bad files", skipped)
	}
	for i, want := range []error{ErrBadImage, ErrNotImage} {
		if skipped[i].Path != bad[i] || !errors.Is(skipped[i], want) {
			t.Errorf("skipped[%d] = %v, want %s wrapping %v", i, skipped[i], bad[i], want)
		}
	}
	// LoadFolder reports them too.
	split, err := LoadFolder(root, Options{ImageSize: 4, SkipBadFiles: true, ValidFraction: 0.3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Skipped) != 2 || split.Train.Len()+split.Valid.Len() != 6 {
		t.Errorf("LoadFolder: skipped %d, train %d + valid %d; want 2 and 6 images", len(split.Skipped), split.Train.Len(), split.Valid.Len())
	}
}

func TestLoadBadFolders(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) (train, valid string)
		opts  Options
		want  error  // nil: only check the message
		names string // a path the message must contain; "" checks nothing
	}{
		{
			name: "empty class folder",
			setup: func(t *testing.T, dir string) (string, string) {
				train := makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 2})
				os.MkdirAll(filepath.Join(train, "dog"), 0o755)
				return train, makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 1, "dog": 1})
			},
			want: ErrEmptyClass, names: filepath.Join("train", "dog"),
		},
		{
			name: "class only hidden files",
			setup: func(t *testing.T, dir string) (string, string) {
				train := makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 2, "dog": 1})
				valid := makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 1})
				writeFile(t, valid, "dog/.keep", nil)
				return train, valid
			},
			want: ErrEmptyClass, names: filepath.Join("valid", "dog"),
		},
		{
			name: "class all bad, skipping",
			setup: func(t *testing.T, dir string) (string, string) {
				train := makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 2})
				writeFile(t, train, "dog/a.txt", []byte("text"))
				return train, makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 1, "dog": 1})
			},
			opts: Options{SkipBadFiles: true},
			want: ErrEmptyClass, names: filepath.Join("train", "dog", "a.txt"),
		},
		{
			name: "class in train not in valid",
			setup: func(t *testing.T, dir string) (string, string) {
				return makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 2, "dog": 1, "frog": 1}),
					makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 1, "dog": 1})
			},
			want: ErrClassMismatch, names: "only in train: [frog]",
		},
		{
			name: "class in valid not in train",
			setup: func(t *testing.T, dir string) (string, string) {
				return makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 2}),
					makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 1, "dog": 1})
			},
			want: ErrClassMismatch, names: "only in valid: [dog]",
		},
		{
			name: "no class folders",
			setup: func(t *testing.T, dir string) (string, string) {
				train := filepath.Join(dir, "train")
				writeFile(t, train, "loose.png", encode(t, solid(2, 2, classColor["cat"]), "png"))
				return train, makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 1})
			},
			want: ErrNoImages, names: "train",
		},
		{
			name: "empty root",
			setup: func(t *testing.T, dir string) (string, string) {
				os.MkdirAll(filepath.Join(dir, "train"), 0o755)
				return filepath.Join(dir, "train"), filepath.Join(dir, "train")
			},
			want: ErrNoImages, names: "train",
		},
		{
			name: "missing folder",
			setup: func(t *testing.T, dir string) (string, string) {
				return makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 1}), filepath.Join(dir, "nope")
			},
			want: fs.ErrNotExist, names: "nope",
		},
		{
			name: "folder is a file",
			setup: func(t *testing.T, dir string) (string, string) {
				return makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 1}),
					writeFile(t, dir, "valid.zip", []byte("PK"))
			},
			names: "valid.zip",
		},
		{
			name: "image size unset",
			setup: func(t *testing.T, dir string) (string, string) {
				tr := makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 1})
				return tr, tr
			},
			opts: Options{ImageSize: -1}, names: "image_size",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train, valid := tt.setup(t, t.TempDir())
			opts := tt.opts
			if opts.ImageSize == 0 {
				opts.ImageSize = 4
			}
			split, err := LoadSplit(train, valid, opts)
			if err == nil {
				t.Fatalf("LoadSplit succeeded: train %v, valid %v", split.Train.Counts(), split.Valid.Counts())
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q, want it to wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not contain %q", err, tt.names)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	root := makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 2, "dog": 2})
	classDir := filepath.Join(root, "dog")
	file := filepath.Join(root, "cat", "imgaa.png")
	if err := os.Chmod(classDir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(classDir, 0o755)
	if err := os.Chmod(file, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadDir(classDir); err == nil {
		t.Skip("chmod 000 does not block reading here (running as root?): cannot test unreadable folders")
	}
	_, _, err := Load(root, Options{ImageSize: 4})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), classDir) {
		t.Errorf("unreadable class folder: error %v, want a permission error naming %s", err, classDir)
	}
	os.Chmod(classDir, 0o755)
	_, skipped, err := Load(root, Options{ImageSize: 4, SkipBadFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0].Path != file || !errors.Is(skipped[0], fs.ErrPermission) {
		t.Errorf("unreadable file: skipped %v, want %s with a permission error", skipped, file)
	}
}

func TestLoadDeterministic(t *testing.T) {
	root := filepath.Join(t.TempDir(), "train")
	for i := range 12 {
		c := color.NRGBA{uint8(20 * i), uint8(255 - 20*i), 7, 255}
		writeFile(t, root, filepath.Join([]string{"a", "b"}[i%2], "f"+string(rune('a'+i))+".png"), encode(t, solid(5+i, 3+i, c), "png"))
	}
	var first *Dataset
	for _, workers := range []int{1, 2, 7} {
		ds, _, err := Load(root, Options{ImageSize: 6, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = ds
			continue
		}
		if !slices.Equal(ds.Sources, first.Sources) || !slices.Equal(ds.Labels, first.Labels) {
			t.Fatalf("workers %d: order differs", workers)
		}
		for i := range ds.Images {
			if !slices.Equal(ds.Images[i].Pix, first.Images[i].Pix) {
				t.Fatalf("workers %d: image %d differs", workers, i)
			}
		}
	}
}

func TestLoadFolderSplit(t *testing.T) {
	root := makeTree(t, filepath.Join(t.TempDir(), "all"), map[string]int{"cat": 20, "dog": 8, "frog": 3})
	load := func(seed int64) *Split {
		split, err := LoadFolder(root, Options{ImageSize: 4, ValidFraction: 0.25, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return split
	}
	a, b, c := load(1), load(1), load(2)
	if got := a.Valid.Counts(); !slices.Equal(got, []int{5, 2, 1}) {
		t.Errorf("valid counts %v, want [5 2 1]", got)
	}
	if got := a.Train.Counts(); !slices.Equal(got, []int{15, 6, 2}) {
		t.Errorf("train counts %v, want [15 6 2]", got)
	}
	if !slices.Equal(a.Valid.Sources, b.Valid.Sources) {
		t.Error("same seed gave different splits")
	}
	if slices.Equal(a.Valid.Sources, c.Valid.Sources) {
		t.Error("seeds 1 and 2 gave the same split")
	}
	if !slices.Equal(a.Train.Classes, a.Valid.Classes) {
		t.Error("train and valid class lists differ")
	}
	for _, frac := range []float64{0, 1, -0.5} {
		if _, err := LoadFolder(root, Options{ImageSize: 4, ValidFraction: frac}); err == nil || !strings.Contains(err.Error(), "valid_fraction") {
			t.Errorf("valid_fraction %g: error %v, want one naming valid_fraction", frac, err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	train := makeTree(t, filepath.Join(dir, "train"), map[string]int{"cat": 8, "dog": 4})
	valid := makeTree(t, filepath.Join(dir, "valid"), map[string]int{"cat": 2, "dog": 1})
	cfg := config.Defaults()
	cfg.TrainPath, cfg.ValidPath = train, valid
	split, err := LoadConfig(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := split.Valid.Counts(); !slices.Equal(got, []int{2, 1}) {
		t.Errorf("with valid_path: valid counts %v, want [2 1]", got)
	}
	cfg.ValidPath = "" // split train_path by valid_fraction 0.25
	split, err = LoadConfig(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := split.Valid.Counts(); !slices.Equal(got, []int{2, 1}) {
		t.Errorf("split: valid counts %v, want [2 1]", got)
	}
	if got := split.Train.Counts(); !slices.Equal(got, []int{6, 3}) {
		t.Errorf("split: train counts %v, want [6 3]", got)
	}
	cfg.TrainPath = ""
	var fe *config.FieldError
	if _, err := LoadConfig(cfg, 4); !errors.As(err, &fe) || fe.Key != "train_path" {
		t.Errorf("no train_path: error %v, want a FieldError for train_path", err)
	}
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ train, valid, key, want string }{
		{filepath.Join(dir, "moved"), "", "train_path", "moved: no such file or directory"},
		{train, filepath.Join(dir, "gone"), "valid_path", "gone: no such file or directory"},
		{file, "", "train_path", "notes.txt is a file"},
	} {
		cfg.TrainPath, cfg.ValidPath = tc.train, tc.valid
		_, err := LoadConfig(cfg, 4)
		if !errors.As(err, &fe) || fe.Key != tc.key || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("train_path %s, valid_path %q: error %v, want a FieldError for %s with %q", tc.train, tc.valid, err, tc.key, tc.want)
		}
	}
}
