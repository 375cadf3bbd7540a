package data

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
)

// Options says how a loader reads an image folder. The JSON keys are the
// run config's (config.Config) where the two overlap.
type Options struct {
	// ImageSize is the side of the square each image is resized to once,
	// at load time, so a run keeps only small images in memory. Required.
	// With transforms, use Pipeline.LoadSize (larger than the model's
	// input when cropping).
	ImageSize int `json:"image_size"`
	// SkipBadFiles skips files that cannot be read or decoded and lists
	// them in Split.Skipped; without it the first bad file (in path
	// order) is an error.
	SkipBadFiles bool `json:"skip_bad_files,omitempty"`
	// Workers is how many files decode at once; <= 0 means all cores.
	Workers int `json:"workers,omitempty"`
	// ValidFraction is the share of each class LoadFolder puts in the
	// validation set, in (0, 1); Seed drives that split.
	ValidFraction float64 `json:"valid_fraction,omitempty"`
	Seed          int64   `json:"seed"`
}

// Split is a loaded train and validation pair sharing one class list.
type Split struct {
	Train, Valid *Dataset
	// Skipped lists the files left out under Options.SkipBadFiles, in
	// path order (train first); empty otherwise.
	Skipped []*FileError
}

// Load reads one image folder laid out as root/<class>/*: class names are
// the sub-folder names, sorted; files may sit in nested folders below a
// class folder. Hidden files and folders (".name") are ignored, as are
// plain files directly in root. Every other file must be an image (see
// DecodeFile) unless opts.SkipBadFiles is set. Images are decoded once, in
// parallel, and resized to opts.ImageSize.
//
// An empty class folder (ErrEmptyClass), a root with no class folders
// (ErrNoImages) and an unreadable folder are errors under any option.
func Load(root string, opts Options) (*Dataset, []*FileError, error) {
	if err := opts.check(); err != nil {
		return nil, nil, err
	}
	t, err := scanTree(root)
	if err != nil {
		return nil, nil, err
	}
	sets, skipped, err := decodeTrees([]*tree{t}, opts)
	if err != nil {
		return nil, nil, err
	}
	return sets[0], skipped, nil
}

// LoadSplit reads the study's layout: trainPath/<class>/* and
// validPath/<class>/*, which must have the same class folders
// (ErrClassMismatch otherwise). See Load for the rules of one folder.
func LoadSplit(trainPath, validPath string, opts Options) (*Split, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	train, err := scanTree(trainPath)
	if err != nil {
		return nil, err
	}
	valid, err := scanTree(validPath)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(train.classes, valid.classes) {
		return nil, fmt.Errorf("data: %w: %s has %v, %s has %v (only in train: %v; only in valid: %v)",
			ErrClassMismatch, trainPath, train.classes, validPath, valid.classes,
			missing(train.classes, valid.classes), missing(valid.classes, train.classes))
	}
	sets, skipped, err := decodeTrees([]*tree{train, valid}, opts)
	if err != nil {
		return nil, err
	}
	return &Split{Train: sets[0], Valid: sets[1], Skipped: skipped}, nil
}

// LoadFolder reads one image folder (see Load) and splits it into train
// and valid with StratifiedSplit(labels, opts.ValidFraction, opts.Seed).
func LoadFolder(root string, opts Options) (*Split, error) {
	if opts.ValidFraction <= 0 || opts.ValidFraction >= 1 {
		return nil, fmt.Errorf("data: load %s: valid_fraction must be in (0, 1), got %g", root, opts.ValidFraction)
	}
	all, skipped, err := Load(root, opts)
	if err != nil {
		return nil, err
	}
	trainIdx, validIdx := StratifiedSplit(all.Labels, opts.ValidFraction, opts.Seed)
	train, err := all.Subset(trainIdx)
	if err != nil {
		return nil, err
	}
	valid, err := all.Subset(validIdx)
	if err != nil {
		return nil, err
	}
	return &Split{Train: train, Valid: valid, Skipped: skipped}, nil
}

func (o Options) check() error {
	if o.ImageSize <= 0 {
		return fmt.Errorf("data: options: image_size must be > 0, got %d", o.ImageSize)
	}
	return nil
}

// tree is one scanned dataset folder: files[c] are class c's files, sorted.
type tree struct {
	root    string
	classes []string
	files   [][]string
}

func scanTree(root string) (*tree, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("data: read dataset folder: %w", err)
	}
	t := &tree{root: root}
	for _, e := range entries { // ReadDir sorts by name
		if hidden(e.Name()) {
			continue
		}
		path := filepath.Join(root, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				e = fs.FileInfoToDirEntry(info)
			}
		}
		if !e.IsDir() {
			continue
		}
		files, err := listFiles(path)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("data: class folder %s: %w: it holds no files", path, ErrEmptyClass)
		}
		t.classes = append(t.classes, e.Name())
		t.files = append(t.files, files)
	}
	if len(t.classes) == 0 {
		return nil, fmt.Errorf("data: %s: %w: no class folders (want %s/<class>/<image>)", root, ErrNoImages, root)
	}
	return t, nil
}

// listFiles returns the non-hidden files below dir, recursively, sorted.
func listFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("data: read class folder: %w", err)
		}
		if path != dir && hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// decodeTrees decodes the files of every tree in one parallel pass and
// returns one Dataset per tree.
func decodeTrees(trees []*tree, opts Options) ([]*Dataset, []*FileError, error) {
	type item struct {
		path        string
		tree, label int
	}
	var items []item
	for ti, t := range trees {
		for c, files := range t.files {
			for _, p := range files {
				items = append(items, item{path: p, tree: ti, label: c})
			}
		}
	}
	images := make([]*image.NRGBA, len(items))
	fileErrs := make([]*FileError, len(items))
	err := parallelFor(len(items), opts.Workers, func(i int) error {
		img, err := DecodeFile(items[i].path, opts.ImageSize)
		if err != nil {
			fe, ok := err.(*FileError)
			if !ok {
				fe = &FileError{Path: items[i].path, Err: err}
			}
			if !opts.SkipBadFiles {
				return fmt.Errorf("data: %w", fe)
			}
			fileErrs[i] = fe
			return nil
		}
		images[i] = img
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sets := make([]*Dataset, len(trees))
	for ti, t := range trees {
		sets[ti] = &Dataset{Classes: t.classes}
	}
	var skipped []*FileError
	for i, it := range items {
		if fileErrs[i] != nil {
			skipped = append(skipped, fileErrs[i])
			continue
		}
		d := sets[it.tree]
		d.Images = append(d.Images, images[i])
		d.Labels = append(d.Labels, it.label)
		d.Sources = append(d.Sources, it.path)
	}
	for ti, d := range sets {
		for c, n := range d.Counts() {
			if n == 0 {
				return nil, skipped, fmt.Errorf("data: class folder %s: %w: all %d files were bad (first: %v)",
					filepath.Join(trees[ti].root, d.Classes[c]), ErrEmptyClass, len(trees[ti].files[c]),
					firstSkipped(skipped, trees[ti].files[c][0]))
			}
		}
	}
	return sets, skipped, nil
}

func firstSkipped(skipped []*FileError, path string) error {
	for _, fe := range skipped {
		if fe.Path == path {
			return fe
		}
	}
	return nil
}

// missing returns the names in a that are not in b.
func missing(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// LoadConfig loads the data of a run config: LoadSplit(train_path,
// valid_path) when valid_path is set, else LoadFolder(train_path) split by
// valid_fraction and seed; skip_bad_files as set. imageSize is the load
// size (transforms.Pipeline.LoadSize). Embedded datasets (the config's
// "dataset") are not image folders and are loaded elsewhere.
func LoadConfig(cfg config.Config, imageSize int) (*Split, error) {
	if cfg.TrainPath == "" {
		return nil, &config.FieldError{Key: "train_path", Reason: "empty: no image folder to load"}
	}
	for _, p := range []struct{ key, path string }{{"train_path", cfg.TrainPath}, {"valid_path", cfg.ValidPath}} {
		if p.path == "" {
			continue
		}
		if st, err := os.Stat(p.path); err != nil {
			return nil, &config.FieldError{Key: p.key, Reason: fmt.Sprintf("image folder %s: %v", p.path, errors.Unwrap(err))}
		} else if !st.IsDir() {
			return nil, &config.FieldError{Key: p.key, Reason: fmt.Sprintf("%s is a file, want a folder with one sub-folder per class", p.path)}
		}
	}
	opts := Options{ImageSize: imageSize, SkipBadFiles: cfg.SkipBadFiles, ValidFraction: cfg.ValidFraction, Seed: cfg.Seed}
	if cfg.ValidPath != "" {
		return LoadSplit(cfg.TrainPath, cfg.ValidPath, opts)
	}
	return LoadFolder(cfg.TrainPath, opts)
}
