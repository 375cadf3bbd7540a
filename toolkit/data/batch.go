package data

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// A Transform turns one stored image into one model input.
// transforms.Pipeline is the implementation; the interface keeps this
// package free of it.
type Transform interface {
	// OutputSize is the height and width of every sample.
	OutputSize() (height, width int)
	// Sample writes img, transformed with randomness drawn from rng, as
	// height*width*3 float32 values in HWC (channels-last) order to dst.
	Sample(dst []float32, img *image.NRGBA, rng *rand.Rand) error
}

// Batcher makes batches of samples of Data through Transform, in
// parallel over Workers goroutines (<= 0: all cores). Seed is the run's
// seed; see SampleRand for how each sample's randomness is derived.
type Batcher struct {
	Data      *Dataset
	Transform Transform
	Seed      int64
	Workers   int
}

// Fill writes the samples of Data at indices into images
// (len(indices)*H*W*3 values, NHWC) and their labels into labels
// (len(indices) values). position is where indices[0] stands in the
// epoch's order, so sample i draws from SampleRand(Seed, epoch,
// position+i): the result is the same whatever the workers' timing.
func (b *Batcher) Fill(images []float32, labels []int32, indices []int, epoch, position int) error {
	if b.Data == nil || b.Transform == nil {
		return errors.New("data: batcher needs Data and Transform")
	}
	h, w := b.Transform.OutputSize()
	per := h * w * 3
	if len(images) != len(indices)*per || len(labels) != len(indices) {
		return fmt.Errorf("data: batch of %d samples of %dx%dx3 needs %d image values and %d labels, got %d and %d",
			len(indices), h, w, len(indices)*per, len(indices), len(images), len(labels))
	}
	for _, idx := range indices {
		if idx < 0 || idx >= b.Data.Len() {
			return fmt.Errorf("data: batch index %d out of range [0, %d)", idx, b.Data.Len())
		}
	}
	return parallelFor(len(indices), b.Workers, func(i int) error {
		idx := indices[i]
		labels[i] = int32(b.Data.Labels[idx])
		rng := SampleRand(b.Seed, epoch, position+i)
		if err := b.Transform.Sample(images[i*per:(i+1)*per], b.Data.Images[idx], rng); err != nil {
			return fmt.Errorf("data: sample %d (%s): %w", idx, b.source(idx), err)
		}
		return nil
	})
}

// Floats is Fill into new slices: images is [len(indices), H, W, 3] flat.
func (b *Batcher) Floats(indices []int, epoch, position int) (images []float32, labels []int32, err error) {
	if b.Transform == nil {
		return nil, nil, errors.New("data: batcher needs Data and Transform")
	}
	h, w := b.Transform.OutputSize()
	images = make([]float32, len(indices)*h*w*3)
	labels = make([]int32, len(indices))
	if err := b.Fill(images, labels, indices, epoch, position); err != nil {
		return nil, nil, err
	}
	return images, labels, nil
}

// Tensors is Fill into GoMLX tensors: images float32 [batch, H, W, 3]
// (NHWC, normalised by the Transform) and labels int32 [batch].
func (b *Batcher) Tensors(indices []int, epoch, position int) (images, labels *tensors.Tensor, err error) {
	if b.Transform == nil {
		return nil, nil, errors.New("data: batcher needs Data and Transform")
	}
	h, w := b.Transform.OutputSize()
	images = tensors.FromShape(shapes.Make(dtypes.Float32, len(indices), h, w, 3))
	labels = tensors.FromShape(shapes.Make(dtypes.Int32, len(indices)))
	var fillErr error
	err = tensors.MutableFlatData(images, func(flatImages []float32) {
		err := tensors.MutableFlatData(labels, func(flatLabels []int32) {
			fillErr = b.Fill(flatImages, flatLabels, indices, epoch, position)
		})
		if fillErr == nil {
			fillErr = err
		}
	})
	if err == nil {
		err = fillErr
	}
	if err != nil {
		images.FinalizeAll()
		labels.FinalizeAll()
		return nil, nil, err
	}
	return images, labels, nil
}

func (b *Batcher) source(idx int) string {
	if idx < len(b.Data.Sources) {
		return b.Data.Sources[idx]
	}
	return "?"
}
