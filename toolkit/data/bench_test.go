package data_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// Benchmarks over the flowers images (docs/data-benchmark.md):
//
//	DEBIASER_FLOWERS=/path/to/flowers-recognition DEBIASER_BENCH_PER_CLASS=200 \
//	  go test ./toolkit/data -run '^$' -bench Flowers -benchtime 3x
//
// DEBIASER_FLOWERS defaults to /work/shared/datasets/flowers-recognition;
// DEBIASER_BENCH_PER_CLASS (default 200, 0 = all) caps the images per class.

// flowers returns a folder of links to the first images of each flowers
// class, or skips the benchmark when the images are absent.
func flowers(b *testing.B) string {
	b.Helper()
	src := os.Getenv("DEBIASER_FLOWERS")
	if src == "" {
		src = "/work/shared/datasets/flowers-recognition"
	}
	classes, err := os.ReadDir(src)
	if err != nil {
		b.Skipf("flowers images not found (%v); set DEBIASER_FLOWERS", err)
	}
	perClass := 200
	if s := os.Getenv("DEBIASER_BENCH_PER_CLASS"); s != "" {
		if perClass, err = strconv.Atoi(s); err != nil {
			b.Fatalf("DEBIASER_BENCH_PER_CLASS: %v", err)
		}
	}
	dst := b.TempDir()
	for _, c := range classes {
		if !c.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(src, c.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if perClass > 0 && len(files) > perClass {
			files = files[:perClass]
		}
		if err := os.MkdirAll(filepath.Join(dst, c.Name()), 0o755); err != nil {
			b.Fatal(err)
		}
		for _, f := range files {
			if err := os.Symlink(filepath.Join(src, c.Name(), f.Name()), filepath.Join(dst, c.Name(), f.Name())); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dst
}

// clock reads wall time and the process's CPU time (user + system).
type clock struct {
	wall time.Time
	cpu  time.Duration
}

func now() clock {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return clock{time.Now(), time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
}

// reportRate reports images per wall-clock second and CPU milliseconds
// per image; the second is the steadier number on a shared machine.
func reportRate(b *testing.B, images int, start clock) {
	end := now()
	b.ReportMetric(float64(images)/end.wall.Sub(start.wall).Seconds(), "img/s")
	b.ReportMetric(float64(end.cpu-start.cpu)/float64(time.Millisecond)/float64(images), "cpu-ms/img")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}

// BenchmarkLoadFlowers decodes every JPEG and resizes it to 224x224, on
// all cores.
func BenchmarkLoadFlowers(b *testing.B) {
	root := flowers(b)
	n := 0
	start := now()
	for b.Loop() {
		ds, skipped, err := data.Load(root, data.Options{ImageSize: 224})
		if err != nil {
			b.Fatal(err)
		}
		if len(skipped) > 0 {
			b.Fatalf("skipped %d files", len(skipped))
		}
		n += ds.Len()
	}
	reportRate(b, n, start)
}

// BenchmarkTransformFlowers runs the stored 224x224 images through the
// study's training transforms (hflip, vflip, rotation +-30 degrees,
// normalise 0.5/0.5) into float32 batches of 32, on all cores; "eval" is
// normalise only, for comparison.
func BenchmarkTransformFlowers(b *testing.B) {
	ds, _, err := data.Load(flowers(b), data.Options{ImageSize: 224})
	if err != nil {
		b.Fatal(err)
	}
	half := [3]float32{0.5, 0.5, 0.5}
	train := transforms.Pipeline{Size: 224, Mean: half, Std: half, HFlip: true, VFlip: true, Degrees: 30}
	for _, tt := range []struct {
		name string
		pipe transforms.Pipeline
	}{
		{"flips+rotate", train},
		{"eval", train.InMode(transforms.Eval)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			batcher := &data.Batcher{Data: ds, Transform: tt.pipe, Seed: 1}
			const batch = 32
			images := make([]float32, batch*224*224*3)
			labels := make([]int32, batch)
			order := make([]int, ds.Len())
			for i := range order {
				order[i] = i
			}
			n, epoch := 0, 0
			start := now()
			for b.Loop() {
				for pos := 0; pos+batch <= len(order); pos += batch {
					if err := batcher.Fill(images, labels, order[pos:pos+batch], epoch, pos); err != nil {
						b.Fatal(err)
					}
					n += batch
				}
				epoch++
			}
			reportRate(b, n, start)
		})
	}
}
