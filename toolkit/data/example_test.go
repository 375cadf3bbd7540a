package data_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// writeFolder makes root/<class>/<i>.png with n[i] images per class, plus
// a broken file, and returns root.
func writeFolder(root string, classes []string, n []int) error {
	for c, class := range classes {
		if err := os.MkdirAll(filepath.Join(root, class), 0o755); err != nil {
			return err
		}
		for i := range n[c] {
			img := image.NewNRGBA(image.Rect(0, 0, 40, 30))
			img.SetNRGBA(0, 0, color.NRGBA{uint8(c * 100), 50, 50, 255})
			f, err := os.Create(filepath.Join(root, class, fmt.Sprintf("%d.png", i)))
			if err != nil {
				return err
			}
			err = png.Encode(f, img)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(root, classes[0], "broken.jpg"), []byte("\xff\xd8\xff"), 0o644)
}

// ExampleLoadSplit loads the study's train/valid layout, skipping a
// broken file, and counts images per class.
func ExampleLoadSplit() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	classes := []string{"tulip", "lotus"}
	if err := writeFolder(filepath.Join(dir, "train"), classes, []int{6, 2}); err != nil {
		fmt.Println(err)
		return
	}
	if err := writeFolder(filepath.Join(dir, "valid"), classes, []int{2, 1}); err != nil {
		fmt.Println(err)
		return
	}

	_, err := data.LoadSplit(filepath.Join(dir, "train"), filepath.Join(dir, "valid"), data.Options{ImageSize: 32})
	fmt.Println("bad file is an error:", errors.Is(err, data.ErrBadImage))

	split, err := data.LoadSplit(filepath.Join(dir, "train"), filepath.Join(dir, "valid"),
		data.Options{ImageSize: 32, SkipBadFiles: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("classes:", split.Train.Classes)
	fmt.Println("train counts:", split.Train.Counts(), "valid counts:", split.Valid.Counts())
	for _, bad := range split.Skipped {
		rel, _ := filepath.Rel(dir, bad.Path)
		fmt.Println("skipped:", rel)
	}
	// Output:
	// bad file is an error: true
	// classes: [lotus tulip]
	// train counts: [2 6] valid counts: [1 2]
	// skipped: train/tulip/broken.jpg
	// skipped: valid/tulip/broken.jpg
}

// ExampleStratifiedSplit splits labels 25% to validation, class by class.
func ExampleStratifiedSplit() {
	labels := []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2}
	train, valid := data.StratifiedSplit(labels, 0.25, 1)
	fmt.Println(len(train), "train,", len(valid), "valid")
	for _, i := range valid {
		fmt.Print(labels[i], " ")
	}
	fmt.Println()
	// Output:
	// 10 train, 4 valid
	// 0 0 1 2
}

// ExampleBatcher_Tensors turns dataset indices into a GoMLX batch through
// the training transforms.
func ExampleBatcher_Tensors() {
	ds := &data.Dataset{Classes: []string{"a", "b"}}
	for i := range 4 {
		ds.Images = append(ds.Images, image.NewNRGBA(image.Rect(0, 0, 32, 32)))
		ds.Labels = append(ds.Labels, i%2)
		ds.Sources = append(ds.Sources, fmt.Sprint(i))
	}
	pipe := transforms.Pipeline{Size: 28, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, HFlip: true, Degrees: 30}
	b := &data.Batcher{Data: ds, Transform: pipe, Seed: 1}
	// Epoch 0's order, here by hand (a sampler makes it in a real run);
	// the batch holds its first three samples, so it starts at position 0.
	order := []int{3, 0, 2, 1}
	images, labels, err := b.Tensors(order[:3], 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(images.Shape(), labels.Shape(), labels.Value())
	// Output:
	// (Float32)[3 28 28 3] (Int32)[3] [1 0 0]
}
