package datasets

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/debiaser/debiaser/toolkit/data"
)

// WriteImageFolder writes d as an image folder, dir/<class>/<n>.png with n
// the image's index in d (zero-padded), so an image-folder loader or
// StudySubset can read it back. dir must be absent or empty.
func WriteImageFolder(d *data.Dataset, dir string) error {
	if err := ensureEmptyDir(dir); err != nil {
		return err
	}
	for _, class := range d.Classes {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			return err
		}
	}
	for i, img := range d.Images {
		path := filepath.Join(dir, d.Classes[d.Labels[i]], fmt.Sprintf("%06d.png", i))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = png.Encode(f, img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// ensureEmptyDir creates dir, or accepts it when it exists and is empty, so
// that a written folder never mixes with an older one.
func ensureEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("output folder %s exists and is not empty", dir)
	}
	return os.MkdirAll(dir, 0o755)
}
