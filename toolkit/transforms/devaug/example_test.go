package devaug_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/transforms"
	"github.com/debiaser/debiaser/toolkit/transforms/devaug"
)

// Training batches made on the backend equal the host pipeline's.
func Example() {
	ds := &data.Dataset{Classes: []string{"dark", "bright"}}
	for i := range 4 {
		img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
		for p := range 32 * 32 {
			img.SetNRGBA(p%32, p/32, color.NRGBA{uint8(p), uint8(i * 60), uint8(p / 4), 255})
		}
		ds.Images, ds.Labels = append(ds.Images, img), append(ds.Labels, i/2)
	}
	pipe := transforms.Pipeline{Size: 32, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5},
		HFlip: true, VFlip: true, Degrees: 30, Mode: transforms.Train}

	backend, err := gobackend.NewBackend("")
	if err != nil {
		panic(err)
	}
	aug, err := devaug.New(backend, ds, pipe, 1)
	if err != nil {
		panic(err)
	}
	defer aug.Close()
	indices := []int{2, 0, 3}
	images, labels, err := aug.Tensors(indices, 0, 0)
	if err != nil {
		panic(err)
	}
	host := data.Batcher{Data: ds, Transform: pipe, Seed: 1}
	want, _, err := host.Floats(indices, 0, 0)
	if err != nil {
		panic(err)
	}
	got := tensors.MustCopyFlatData[float32](images)
	same := len(got) == len(want)
	for i := range got {
		same = same && got[i] == want[i]
	}
	fmt.Println(images.Shape(), labels.Shape(), "uploaded bytes:", aug.StoreBytes())
	fmt.Println("equal to the host batch:", same)
	// Output:
	// (Float32)[3 32 32 3] (Int32)[3] uploaded bytes: 12291
	// equal to the host batch: true
}
