package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// ImageNet normalisation used by every torchvision ImageNet weight file.
var (
	ImageNetMean = [3]float64{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float64{0.229, 0.224, 0.225}
)

// Descriptor describes one published weight file (torchvision's Weights
// enum entry).
type Descriptor struct {
	Model string `json:"model"` // architecture name in models.Known
	URL   string `json:"url"`
	// SHA256 is the file's SHA-256 in hex: the full digest or, as torchvision
	// publishes it (in the file name, checked by torch.hub's check_hash), its
	// leading digits. Fetch checks it as a prefix of the actual digest.
	SHA256        string     `json:"sha256"`
	InputSize     int        `json:"input_size"`  // crop size the weights were evaluated at
	ResizeSize    int        `json:"resize_size"` // resize before the centre crop
	Interpolation string     `json:"interpolation"`
	Mean          [3]float64 `json:"mean"`
	Std           [3]float64 `json:"std"`
	NumParams     int        `json:"num_params"` // with torchvision's 1000-class head
}

// FileName is the name of the file in the cache (the URL's last element).
func (d Descriptor) FileName() string { return d.URL[strings.LastIndex(d.URL, "/")+1:] }

// ImageNet holds torchvision 0.14's IMAGENET1K_V1 weights (what
// pretrained=True meant in the study) for the architectures that have them.
var ImageNet = map[string]Descriptor{
	"resnet18": {
		Model: "resnet18", URL: "https://download.pytorch.org/models/resnet18-f37072fd.pth",
		SHA256: "f37072fd", InputSize: 224, ResizeSize: 256, Interpolation: "bilinear",
		Mean: ImageNetMean, Std: ImageNetStd, NumParams: 11689512,
	},
	"mobilenet_v2": {
		Model: "mobilenet_v2", URL: "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
		SHA256: "b0353104", InputSize: 224, ResizeSize: 256, Interpolation: "bilinear",
		Mean: ImageNetMean, Std: ImageNetStd, NumParams: 3504872,
	},
	"efficientnet_b0": {
		Model: "efficientnet_b0", URL: "https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth",
		SHA256: "3dd342df", InputSize: 224, ResizeSize: 256, Interpolation: "bicubic",
		Mean: ImageNetMean, Std: ImageNetStd, NumParams: 5288548,
	},
}

// ErrOffline is returned (wrapped) when a weight file is not in the cache
// and downloading is not allowed or failed.
var ErrOffline = errors.New("weights not available offline")

// FetchOptions controls where Fetch looks and whether it may download.
type FetchOptions struct {
	CacheDir string       // default DefaultCacheDir()
	Offline  bool         // never download; also forced by DEBIASER_OFFLINE=1
	Client   *http.Client // default http.DefaultClient
}

// DefaultCacheDir is $DEBIASER_WEIGHTS_DIR, else <user cache dir>/debiaser/weights.
func DefaultCacheDir() string {
	if dir := os.Getenv("DEBIASER_WEIGHTS_DIR"); dir != "" {
		return dir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "debiaser", "weights")
	}
	return filepath.Join(os.TempDir(), "debiaser-weights")
}

// Fetch returns the local path of d's file: the cached copy if its
// checksum matches, else a fresh download into the cache (checked before it
// is moved into place). Offline, a missing file is an ErrOffline error that
// says where to put the file.
func Fetch(d Descriptor, opts FetchOptions) (string, error) {
	dir := opts.CacheDir
	if dir == "" {
		dir = DefaultCacheDir()
	}
	path := filepath.Join(dir, d.FileName())
	if _, err := os.Stat(path); err == nil {
		if err := CheckSHA256(path, d.SHA256); err != nil {
			return "", fmt.Errorf("%s weights in cache: %w (delete the file to download it again)", d.Model, err)
		}
		return path, nil
	}
	if opts.Offline || os.Getenv("DEBIASER_OFFLINE") == "1" {
		return "", fmt.Errorf("%s ImageNet weights: %w: %s is not in the cache; download %s into %s "+
			"or set weights_path to a local copy", d.Model, ErrOffline, d.FileName(), d.URL, dir)
	}
	if err := download(d, dir, path, opts.Client); err != nil {
		return "", fmt.Errorf("%s ImageNet weights: %w: %v; download %s into %s by hand "+
			"or set weights_path to a local copy", d.Model, ErrOffline, err, d.URL, dir)
	}
	return path, nil
}

func download(d Descriptor, dir, path string, client *http.Client) error {
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	resp, err := client.Get(d.URL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", d.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, d.FileName()+".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		return fmt.Errorf("GET %s: %w", d.URL, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := CheckSHA256(tmp.Name(), d.SHA256); err != nil {
		return fmt.Errorf("downloaded file: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// CheckSHA256 checks that the file's SHA-256 (hex) starts with want; an
// empty want accepts any file.
func CheckSHA256(path, want string) error {
	if want == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("checksum %s: %w", path, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if !strings.HasPrefix(got, strings.ToLower(want)) {
		return fmt.Errorf("checksum mismatch for %s: SHA-256 %s, want %s...", path, got, want)
	}
	return nil
}
