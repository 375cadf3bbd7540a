package devaug

import (
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// The study's training augmentation (flips, rotation 30, normalise) of
// batches of 64 images at 224, on the host (data.Batcher over all cores)
// and on the backend (Augmenter). Run:
//
//	GOEXPERIMENT=simd go test ./toolkit/transforms/devaug -run XXX -bench . -benchtime 5x
//
// See docs/pipeline.md for results and what they do not measure.
const benchSize, benchBatch = 224, 64

func benchPipeline() transforms.Pipeline {
	return transforms.Pipeline{Size: benchSize, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5},
		HFlip: true, VFlip: true, Degrees: 30}
}

// benchCrop adds RandomResizedCrop (images stored at LoadSize, 256).
func benchCrop() transforms.Pipeline {
	p := benchPipeline()
	p.Crop = true
	return p
}

func benchIndices() []int {
	idx := make([]int, benchBatch)
	for i := range idx {
		idx[i] = (i * 37) % benchBatch
	}
	return idx
}

// BenchmarkHost is today's pipeline: per-sample Go transforms into a
// float32 tensor in host memory (a GPU step would then copy it over).
func BenchmarkHost(b *testing.B) {
	benchHost(b, benchPipeline(), testImages(benchBatch, benchSize), nil)
}

// benchHost times the host pipeline on ds; with upload set, each batch is
// also copied to that backend.
func benchHost(b *testing.B, p transforms.Pipeline, ds *data.Dataset, upload backends.Backend) {
	host := data.Batcher{Data: ds, Transform: p, Seed: 1}
	idx := benchIndices()
	b.ResetTimer()
	start := cpuTime()
	for i := range b.N {
		images, labels, err := host.Tensors(idx, 0, i*benchBatch)
		if err != nil {
			b.Fatal(err)
		}
		if upload != nil {
			if err := images.MaterializeOnDevice(upload, false, 0); err != nil {
				b.Fatal(err)
			}
		}
		images.FinalizeAll()
		labels.FinalizeAll()
	}
	report(b, start)
}

// BenchmarkHostUpload adds what a training step on the backend then does
// with the host batch: copy it to the backend.
func BenchmarkHostUpload(b *testing.B) {
	benchHost(b, benchPipeline(), testImages(benchBatch, benchSize), testBackend(b))
}

// BenchmarkDevice draws the parameters on the host and runs Augment on the
// backend (gofast here: the "device" is the same CPU); the batch is left
// on the backend, as the training step takes it.
func BenchmarkDevice(b *testing.B) {
	benchDevice(b, benchPipeline(), testImages(benchBatch, benchSize))
}

// benchDevice times Augmenter.Tensors on ds, compiled outside the timing.
func benchDevice(b *testing.B, p transforms.Pipeline, ds *data.Dataset) {
	a, err := New(testBackend(b), ds, p, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	idx := benchIndices()
	if _, _, err := a.Tensors(idx, 0, 0); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	start := cpuTime()
	for i := range b.N {
		images, labels, err := a.Tensors(idx, 0, i*benchBatch)
		if err != nil {
			b.Fatal(err)
		}
		images.FinalizeAll()
		labels.FinalizeAll()
	}
	report(b, start)
}

// BenchmarkParams is the host's share of BenchmarkDevice: drawing the
// parameters.
func BenchmarkParams(b *testing.B) {
	p, idx := benchPipeline(), benchIndices()
	start := cpuTime()
	for i := range b.N {
		if _, err := Params(p, benchSize, 1, idx, 0, i*benchBatch); err != nil {
			b.Fatal(err)
		}
	}
	report(b, start)
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report gives images per wall-clock second and CPU milliseconds per
// image (the steadier number on a shared machine).
func report(b *testing.B, start time.Duration) {
	n := float64(b.N * benchBatch)
	b.ReportMetric(n/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/n, "cpu-ms/img")
}

// BenchmarkHostCrop and BenchmarkDeviceCrop add the crop (stored at 256,
// cropped and resized to 224).
func BenchmarkHostCrop(b *testing.B) {
	p := benchCrop()
	benchHost(b, p, noisyImages(benchBatch, p.LoadSize()), nil)
}

func BenchmarkDeviceCrop(b *testing.B) {
	p := benchCrop()
	benchDevice(b, p, noisyImages(benchBatch, p.LoadSize()))
}
