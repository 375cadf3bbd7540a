package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
)

// idxImages is an IDX image file (MNIST's format): n grey images of
// rows x cols bytes each, stored back to back.
type idxImages struct {
	n, rows, cols int
	pix           []byte
}

// gray returns image i as opaque RGB (R = G = B = the grey value).
func (m *idxImages) gray(i int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, m.cols, m.rows))
	src := m.pix[i*m.rows*m.cols : (i+1)*m.rows*m.cols]
	for k, v := range src {
		img.Pix[4*k], img.Pix[4*k+1], img.Pix[4*k+2], img.Pix[4*k+3] = v, v, v, 255
	}
	return img
}

// idxCache keeps decompressed IDX files for the life of the process
// (about 55 MB for MNIST's four), so that repeated loads, as in a search
// over imbalance factors or seeds, skip the slow gunzip.
var idxCache = struct {
	sync.Mutex
	files map[string][]byte
}{files: map[string][]byte{}}

// readIDXFile reads a whole IDX file, gzip-compressed or not; callers must
// not modify the result.
func readIDXFile(path string) ([]byte, error) {
	idxCache.Lock()
	defer idxCache.Unlock()
	if raw, ok := idxCache.files[path]; ok {
		return raw, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		z, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if raw, err = io.ReadAll(z); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	idxCache.files[path] = raw
	return raw, nil
}

// parseIDX checks the header of an IDX file of unsigned bytes with the
// given number of dimensions and returns the dimensions and the payload.
func parseIDX(raw []byte, ndim int) ([]int, []byte, error) {
	head := 4 + 4*ndim
	if len(raw) < head || raw[0] != 0 || raw[1] != 0 || raw[2] != 0x08 || int(raw[3]) != ndim {
		return nil, nil, fmt.Errorf("not an IDX file of %d-dimensional unsigned bytes", ndim)
	}
	dims := make([]int, ndim)
	size := 1
	for d := range dims {
		dims[d] = int(binary.BigEndian.Uint32(raw[4+4*d:]))
		size *= dims[d]
	}
	if len(raw)-head != size {
		return nil, nil, fmt.Errorf("IDX payload has %d bytes, header says %v = %d", len(raw)-head, dims, size)
	}
	return dims, raw[head:], nil
}

// readIDXPair reads an image file and its label file and checks they agree.
func readIDXPair(imagesPath, labelsPath string) (*idxImages, []int, error) {
	raw, err := readIDXFile(imagesPath)
	if err != nil {
		return nil, nil, err
	}
	dims, pix, err := parseIDX(raw, 3)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", imagesPath, err)
	}
	images := &idxImages{n: dims[0], rows: dims[1], cols: dims[2], pix: pix}
	if raw, err = readIDXFile(labelsPath); err != nil {
		return nil, nil, err
	}
	ldims, lab, err := parseIDX(raw, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", labelsPath, err)
	}
	if ldims[0] != images.n {
		return nil, nil, fmt.Errorf("%s has %d labels for %d images in %s", labelsPath, ldims[0], images.n, imagesPath)
	}
	labels := make([]int, len(lab))
	for i, y := range lab {
		labels[i] = int(y)
	}
	return images, labels, nil
}
