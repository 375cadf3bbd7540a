package devaug

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// Augmenter makes training batches on the backend. New uploads the
// dataset's images once, as uint8 [N*L*L+1, 3] (L = the pipeline's
// LoadSize: 1,500 images at 224 are 226 MB; with crop, at 256, 295 MB);
// each batch then sends only its parameters (int32 [B, NumParams]) and
// runs Augment, whose output stays on the backend for the training step.
// It is a drop-in for data.Batcher.Tensors in Train mode: same samples,
// same randomness, same values (see the package documentation for crop).
type Augmenter struct {
	pipe  transforms.Pipeline
	seed  int64
	ds    *data.Dataset
	store *tensors.Tensor
	exec  *graph.Exec
	// stored is the side of the uploaded images.
	stored int
}

// New checks p (see Check), brings every image of ds to the size the
// host's random transforms start from, and uploads them to backend: the
// pipeline's Size without crop (resized as the host resizes); with crop,
// as they are (the host crops the stored image): they must then be
// opaque, square and all of one size (data.LoadConfig stores them at the
// pipeline's LoadSize). seed is the run's seed. Close frees the upload.
func New(backend backends.Backend, ds *data.Dataset, p transforms.Pipeline, seed int64) (a *Augmenter, err error) {
	if err := Check(p); err != nil {
		return nil, err
	}
	if ds == nil || ds.Len() == 0 {
		return nil, errors.New("devaug: no images")
	}
	size := p.Size
	if p.Crop && ds.Images[0] != nil {
		size = ds.Images[0].Rect.Dx()
	}
	if size > MaxSize {
		return nil, fmt.Errorf("devaug: stored image size %d is over %d", size, MaxSize)
	}
	per := size * size * 3
	if int64(ds.Len())*int64(size*size) >= math.MaxInt32 {
		return nil, fmt.Errorf("devaug: %d images of %dx%d: over 2^31 pixels (int32 indices)", ds.Len(), size, size)
	}
	// Image after image, then one black pixel for what rotation uncovers.
	store := tensors.FromShape(shapes.Make(dtypes.Uint8, ds.Len()*size*size+1, 3))
	resize := p.InMode(transforms.Eval) // without crop: the resize Train starts with
	var fillErr error
	err = tensors.MutableFlatData(store, func(flat []uint8) {
		for i, img := range ds.Images {
			if err := storedPixels(img, p, resize, size, flat[i*per:(i+1)*per]); err != nil {
				fillErr = fmt.Errorf("devaug: sample %d (%s): %w", i, source(ds, i), err)
				return
			}
		}
	})
	if err = errors.Join(err, fillErr); err != nil {
		store.FinalizeAll()
		return nil, err
	}
	if err := store.MaterializeOnDevice(backend, false, 0); err != nil {
		store.FinalizeAll()
		return nil, fmt.Errorf("devaug: upload %s: %w", store.Shape(), err)
	}
	store.FinalizeLocal() // the backend's copy is the one used
	exec, err := graph.NewExec(backend, func(store, params *graph.Node) *graph.Node {
		return Augment(store, params, p, size)
	})
	if err != nil {
		store.FinalizeAll()
		return nil, fmt.Errorf("devaug: %w", err)
	}
	return &Augmenter{pipe: p, seed: seed, ds: ds, store: store, exec: exec.WithName("devaug"), stored: size}, nil
}

// storedPixels writes img as the host's random transforms first see it
// to dst: resized to the pipeline's size, or with crop as it is, which
// must be size x size.
func storedPixels(img *image.NRGBA, p, resize transforms.Pipeline, size int, dst []uint8) error {
	if !p.Crop {
		out, err := resize.Apply(img, nil)
		if err != nil {
			return err
		}
		packRGB(dst, out)
		return nil
	}
	if img == nil {
		return errors.New("nil image")
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w != size || h != size {
		return fmt.Errorf("device crop needs square images all of one size: %dx%d, not %dx%d as the first", w, h, size, size)
	}
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 3; x < len(row); x += 4 {
			if row[x] != 0xff {
				return errors.New("device crop needs opaque images (the host's resize weighs pixels by alpha)")
			}
		}
	}
	packRGB(dst, img)
	return nil
}

// StoreBytes is the size of the images uploaded to the backend.
func (a *Augmenter) StoreBytes() int64 { return int64(a.store.Shape().Memory()) }

// Tensors makes the batch of the samples at indices (into the dataset),
// starting at position in epoch's order: images float32 [B, S, S, 3] on
// the backend and labels int32 [B], equal to data.Batcher.Tensors with
// the same pipeline and seed.
func (a *Augmenter) Tensors(indices []int, epoch, position int) (images, labels *tensors.Tensor, err error) {
	if a.store == nil {
		return nil, nil, errors.New("devaug: augmenter is closed")
	}
	ys := make([]int32, len(indices))
	for i, idx := range indices {
		if idx < 0 || idx >= a.ds.Len() {
			return nil, nil, fmt.Errorf("devaug: batch index %d out of range [0, %d)", idx, a.ds.Len())
		}
		ys[i] = int32(a.ds.Labels[idx])
	}
	params, err := Params(a.pipe, a.stored, a.seed, indices, epoch, position)
	if err != nil {
		return nil, nil, err
	}
	pt := tensors.FromFlatDataAndDimensions(params, len(indices), NumParams)
	defer pt.FinalizeAll()
	images, err = a.exec.Exec1(a.store, pt)
	if err != nil {
		return nil, nil, fmt.Errorf("devaug: %w", err)
	}
	return images, tensors.FromFlatDataAndDimensions(ys, len(ys)), nil
}

// Close frees the uploaded images and the compiled graph.
func (a *Augmenter) Close() {
	if a.store != nil {
		a.store.FinalizeAll()
		a.exec.Finalize()
		a.store = nil
	}
}

// packRGB writes img's pixels as RGB bytes, row by row, to dst.
func packRGB(dst []uint8, img *image.NRGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	j := 0
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := 0; x < len(row); x += 4 {
			dst[j], dst[j+1], dst[j+2] = row[x], row[x+1], row[x+2]
			j += 3
		}
	}
}

func source(ds *data.Dataset, i int) string {
	if i < len(ds.Sources) {
		return ds.Sources[i]
	}
	return "?"
}

func imageRect(size int) image.Rectangle { return image.Rect(0, 0, size, size) }
