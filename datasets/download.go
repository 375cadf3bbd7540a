package datasets

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultCacheDir is where downloads go, relative to the repository root
// (ignored by git).
const DefaultCacheDir = "datasets/downloads"

// Remote is a dataset archive at a public address.
type Remote struct {
	URL  string
	File string // the archive's name in the cache folder
	Size int64  // bytes; 0 when not published
	// Checksum is "md5:<hex>" or "sha256:<hex>" as published by the
	// dataset's authors; empty when none is published, in which case the
	// first download's SHA-256 is pinned in File+".sha256" and later uses
	// are checked against it.
	Checksum string
	// Root is the folder the archive unpacks to.
	Root    string
	Licence string
}

// Remotes are the datasets Fetch can download.
var Remotes = map[string]Remote{
	"cifar10": {
		URL:      "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
		File:     "cifar-10-binary.tar.gz",
		Size:     170052171,
		Checksum: "md5:c32a1d4ab5d03f1284b67883e8d87530", // from the CIFAR page
		Root:     "cifar-10-batches-bin",
		Licence:  "no licence stated; cite Krizhevsky 2009, 'Learning Multiple Layers of Features from Tiny Images'",
	},
	"tf_flowers": {
		URL:     "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz",
		File:    "flower_photos.tgz",
		Root:    "flower_photos",
		Licence: "CC-BY 2.0 (per-photo attributions in flower_photos/LICENSE.txt)",
	},
}

// Fetch downloads the named Remote into cacheDir (once; an interrupted
// download resumes) and unpacks it there (once), returning the unpacked
// folder cacheDir/Root.
func Fetch(ctx context.Context, client *http.Client, name, cacheDir string) (string, error) {
	r, ok := Remotes[name]
	if !ok {
		names := make([]string, 0, len(Remotes))
		for n := range Remotes {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", fmt.Errorf("remote dataset %q unknown, valid: %s", name, strings.Join(names, ", "))
	}
	root := filepath.Join(cacheDir, r.Root)
	if isDir(root) {
		return root, nil
	}
	archive, err := Download(ctx, client, r, cacheDir)
	if err != nil {
		return "", err
	}
	// Unpack beside the target and rename, so a half-unpacked archive is
	// never taken for a finished one.
	tmp, err := os.MkdirTemp(cacheDir, ".unpack-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := ExtractTarGz(archive, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, r.Root), root); err != nil {
		return "", fmt.Errorf("%s: archive has no %s folder: %w", archive, r.Root, err)
	}
	return root, nil
}

// Download fetches r.URL into cacheDir/r.File and returns that path. A
// file already there is checked and reused without a request. The bytes
// arrive in r.File+".part"; when a download is interrupted, the next call
// asks for the rest with an HTTP Range request (a server that ignores it
// simply sends the whole file again). Size and checksum are checked before
// the file takes its final name.
func Download(ctx context.Context, client *http.Client, r Remote, cacheDir string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(cacheDir, r.File)
	if _, err := os.Stat(path); err == nil {
		if err := verify(path, r); err != nil {
			return "", fmt.Errorf("cached %w; delete it to download again", err)
		}
		return path, nil
	}
	part := path + ".part"
	if err := fetchInto(ctx, client, r.URL, part); err != nil {
		return "", fmt.Errorf("download %s: %w (rerun to resume)", r.URL, err)
	}
	if r.Size > 0 {
		if st, err := os.Stat(part); err != nil || st.Size() != r.Size {
			os.Remove(part)
			return "", fmt.Errorf("download %s: got %d bytes, want %d", r.URL, sizeOf(st), r.Size)
		}
	}
	if err := verify(part, r); err != nil {
		os.Remove(part)
		return "", fmt.Errorf("download %s: %w", r.URL, err)
	}
	if r.Checksum == "" {
		sum, err := fileSum(part, sha256.New())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(path+".sha256", []byte(sum+"  "+r.File+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	return path, os.Rename(part, path)
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return 0
	}
	return st.Size()
}

// fetchInto appends the rest of url to part, resuming from its length.
func fetchInto(ctx context.Context, client *http.Client, url, part string) error {
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		if !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(offset, 10)+"-") {
			return fmt.Errorf("server answered range %d- with %q", offset, resp.Header.Get("Content-Range"))
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		return nil // the part file is already whole; the checks decide
	case resp.StatusCode == http.StatusOK:
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	default:
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		return err
	}
	return f.Close()
}

// verify checks path against r.Checksum, or against the SHA-256 pinned
// beside the cached archive by the first download.
func verify(path string, r Remote) error {
	want, h := "", hash.Hash(nil)
	switch algo, hexSum, _ := strings.Cut(r.Checksum, ":"); algo {
	case "md5":
		want, h = hexSum, md5.New()
	case "sha256":
		want, h = hexSum, sha256.New()
	case "":
		pin := strings.TrimSuffix(path, ".part") + ".sha256"
		b, err := os.ReadFile(pin)
		if errors.Is(err, os.ErrNotExist) {
			return nil // nothing published, nothing pinned yet
		}
		if err != nil {
			return err
		}
		want, h = strings.Fields(string(b) + " ")[0], sha256.New()
	default:
		return fmt.Errorf("checksum %q: want md5:<hex> or sha256:<hex>", r.Checksum)
	}
	got, err := fileSum(path, h)
	if err != nil {
		return err
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%s: checksum %s, want %s", path, got, want)
	}
	return nil
}

func fileSum(path string, h hash.Hash) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ExtractTarGz unpacks the regular files and folders of a .tar.gz archive
// into dir, refusing entries that would land outside it.
func ExtractTarGz(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", archive, err)
	}
	tr := tar.NewReader(z)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if !filepath.IsLocal(name) {
			return fmt.Errorf("%s: entry %q would land outside %s", archive, hdr.Name, dir)
		}
		target := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%s: %s: %w", archive, hdr.Name, err)
			}
		} // links and devices are skipped: datasets need none
	}
}
