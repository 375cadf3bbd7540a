package datasets

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/debiaser/debiaser/toolkit/data"
)

// CIFAR10Classes are CIFAR-10's classes in label order (also sorted).
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck"}

// cifarRecord is one record of CIFAR-10's binary release: a label byte,
// then 1024 red, 1024 green and 1024 blue bytes of a 32x32 image, row-major.
const (
	cifarSide   = 32
	cifarRecord = 1 + 3*cifarSide*cifarSide
)

// ReadCIFAR10 reads the records of one CIFAR-10 binary batch file
// (data_batch_N.bin or test_batch.bin).
func ReadCIFAR10(r io.Reader) (images []*image.NRGBA, labels []int, err error) {
	br := bufio.NewReader(r)
	rec := make([]byte, cifarRecord)
	for n := 0; ; n++ {
		if _, err := io.ReadFull(br, rec); err != nil {
			if err == io.EOF {
				return images, labels, nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, nil, fmt.Errorf("cifar-10: record %d truncated (records are %d bytes)", n, cifarRecord)
			}
			return nil, nil, err
		}
		if int(rec[0]) >= len(CIFAR10Classes) {
			return nil, nil, fmt.Errorf("cifar-10: record %d has label %d, want 0..9", n, rec[0])
		}
		img := image.NewNRGBA(image.Rect(0, 0, cifarSide, cifarSide))
		plane := cifarSide * cifarSide
		for k := range plane {
			img.Pix[4*k] = rec[1+k]
			img.Pix[4*k+1] = rec[1+plane+k]
			img.Pix[4*k+2] = rec[1+2*plane+k]
			img.Pix[4*k+3] = 255
		}
		images = append(images, img)
		labels = append(labels, int(rec[0]))
	}
}

// LoadCIFAR10 reads CIFAR-10's binary release from dir (the extracted
// cifar-10-batches-bin folder, or a folder that contains it): the 50,000
// training images of data_batch_1..5.bin and the 10,000 of test_batch.bin.
func LoadCIFAR10(dir string) (train, test *data.Dataset, err error) {
	if _, err := os.Stat(filepath.Join(dir, "cifar-10-batches-bin")); err == nil {
		dir = filepath.Join(dir, "cifar-10-batches-bin")
	}
	read := func(split string, files ...string) (*data.Dataset, error) {
		d := &data.Dataset{Classes: CIFAR10Classes}
		for _, name := range files {
			path := filepath.Join(dir, name)
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("cifar-10: %w", err)
			}
			images, labels, err := ReadCIFAR10(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			for i := range images {
				d.Sources = append(d.Sources, fmt.Sprintf("cifar10/%s/%d", split, len(d.Labels)+i))
			}
			d.Images = append(d.Images, images...)
			d.Labels = append(d.Labels, labels...)
		}
		return d, nil
	}
	if train, err = read("train", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"); err != nil {
		return nil, nil, err
	}
	if test, err = read("test", "test_batch.bin"); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// CIFAR10Folders fetches CIFAR-10 into cacheDir (see Fetch) and writes it,
// once, as image folders cacheDir/cifar10/train and cacheDir/cifar10/test
// (one PNG per image, one folder per class), the input of StudySubset for
// CIFAR-10-LT.
func CIFAR10Folders(ctx context.Context, client *http.Client, cacheDir string) (trainDir, testDir string, err error) {
	base := filepath.Join(cacheDir, "cifar10")
	trainDir, testDir = filepath.Join(base, "train"), filepath.Join(base, "test")
	done := filepath.Join(base, ".complete")
	if _, err := os.Stat(done); err == nil {
		return trainDir, testDir, nil
	}
	bin, err := Fetch(ctx, client, "cifar10", cacheDir)
	if err != nil {
		return "", "", err
	}
	train, test, err := LoadCIFAR10(bin)
	if err != nil {
		return "", "", err
	}
	// A half-written earlier attempt is redone from scratch.
	if err := os.RemoveAll(base); err != nil {
		return "", "", err
	}
	if err := WriteImageFolder(train, trainDir); err != nil {
		return "", "", err
	}
	if err := WriteImageFolder(test, testDir); err != nil {
		return "", "", err
	}
	return trainDir, testDir, os.WriteFile(done, nil, 0o644)
}
