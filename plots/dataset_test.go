package plots

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/data"
)

// The dataset and sampler charts join TestGolden's cases.
func init() {
	goldenCases = append(goldenCases,
		chart("dataset_counts", func(t *testing.T) (*Figure, error) {
			train, valid := fixtureDatasets()
			return DatasetCounts("flowers", train, valid)
		}),
		chart("class_images", func(t *testing.T) (*Figure, error) {
			train, _ := fixtureDatasets()
			return ClassImages("a few images per class", train, 4, 1)
		}),
		chart("sampler_counts", func(t *testing.T) (*Figure, error) {
			classes, orig, draws := fixtureDraws()
			return SamplerCounts(classes, orig, draws)
		}),
	)
}

// fixtureDatasets is a small imbalanced set in the study's class order,
// with the study's counts divided by 25 (train 30/17/10/3, valid
// 10/6/3/1): each image a flat colour of its class with a stripe placed by
// its index, so the class rows and the shuffle are visible.
func fixtureDatasets() (train, valid *data.Dataset) {
	classes := []string{"Lotus", "Orchid", "Sunflower", "Tulip"}
	build := func(counts []int) *data.Dataset {
		ds := &data.Dataset{Classes: classes}
		for c, n := range counts {
			base := OkabeIto[c].(color.RGBA)
			for k := range n {
				img := image.NewNRGBA(image.Rect(0, 0, 24, 24))
				for y := range 24 {
					for x := range 24 {
						px := color.NRGBA{R: base.R, G: base.G, B: base.B, A: 255}
						if x/3 == k%8 {
							px = color.NRGBA{R: 20, G: 20, B: 20, A: 255}
						}
						img.SetNRGBA(x, y, px)
					}
				}
				ds.Images = append(ds.Images, img)
				ds.Labels = append(ds.Labels, c)
			}
		}
		return ds
	}
	return build([]int{30, 17, 10, 3}), build([]int{10, 6, 3, 1})
}

// fixtureDraws are hand-made draws of two epochs for four strategies on
// the fixture's training counts (weighted varies, the others are fixed).
func fixtureDraws() ([]string, []int, []SamplerDraws) {
	orig := []int{30, 17, 10, 3}
	return []string{"Lotus", "Orchid", "Sunflower", "Tulip"}, orig, []SamplerDraws{
		{"none", [][]int{orig, orig}},
		{"weighted", [][]int{{14, 15, 13, 18}, {16, 14, 17, 13}}},
		{"oversampling", [][]int{{30, 30, 30, 30}, {30, 30, 30, 30}}},
		{"undersampling", [][]int{{3, 3, 3, 3}, {3, 3, 3, 3}}},
	}
}

func TestSamplerTable(t *testing.T) {
	classes, orig, draws := fixtureDraws()
	tab, err := SamplerTable(classes, orig, draws)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"epoch", "original", "none", "weighted", "oversampling", "undersampling"}; !slices.Equal(tab.Header, want) {
		t.Errorf("header %v, want %v", tab.Header, want)
	}
	want := [][]string{
		{"0", "30 / 17 / 10 / 3 (60)", "30 / 17 / 10 / 3 (60)", "14 / 15 / 13 / 18 (60)", "30 / 30 / 30 / 30 (120)", "3 / 3 / 3 / 3 (12)"},
		{"1", "30 / 17 / 10 / 3 (60)", "30 / 17 / 10 / 3 (60)", "16 / 14 / 17 / 13 (60)", "30 / 30 / 30 / 30 (120)", "3 / 3 / 3 / 3 (12)"},
	}
	if !slices.EqualFunc(tab.Rows, want, slices.Equal) {
		t.Errorf("rows\n%v\nwant\n%v", tab.Rows, want)
	}
}

func TestDatasetChartsTitle(t *testing.T) {
	train, valid := fixtureDatasets()
	f, err := DatasetCounts("flowers", train, valid)
	if err != nil {
		t.Fatal(err)
	}
	if want := "flowers: images per class, imbalance ratio 10"; f.Title != want {
		t.Errorf("title %q, want %q", f.Title, want)
	}
	// Four tiles per class; Tulip has 3 images, so its fourth tile is empty.
	g, err := ClassImages("", train, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g.Panels[3][2] == nil || g.Panels[3][3] != nil {
		t.Errorf("Tulip row: want 3 images and an empty tile")
	}
	if got := g.Panels[0][0].Y.Label.Text; got != "Lotus (30)" {
		t.Errorf("row label %q, want Lotus (30)", got)
	}
	// Another seed picks other images.
	h, err := ClassImages("", train, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := Render(g, "png", 0, 0)
	b, errB := Render(h, "png", 0, 0)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if bytes.Equal(a, b) {
		t.Error("seeds 1 and 2 chose the same images")
	}
}

func TestDatasetChartErrors(t *testing.T) {
	train, valid := fixtureDatasets()
	other := &data.Dataset{Classes: []string{"a", "b"}, Images: valid.Images[:2], Labels: []int{0, 1}}
	classes, orig, draws := fixtureDraws()
	tests := []struct {
		name    string
		err     func() error
		is      error
		message string
	}{
		{"no training set", func() error { _, err := DatasetCounts("", nil, nil); return err }, ErrNoData, "empty"},
		{"other classes", func() error { _, err := DatasetCounts("", train, other); return err }, ErrClassMismatch, "Tulip"},
		{"empty dataset", func() error { _, err := ClassImages("", &data.Dataset{}, 3, 1); return err }, ErrNoData, ""},
		{"no images per class", func() error { _, err := ClassImages("", train, 0, 1); return err }, nil, "perClass 0"},
		{"no draws", func() error { _, err := SamplerCounts(classes, orig, nil); return err }, ErrNoData, ""},
		{"short original", func() error { _, err := SamplerTable(classes, orig[:3], draws); return err }, ErrClassMismatch, "3 original counts"},
		{"ragged epochs", func() error {
			bad := slices.Clone(draws)
			bad[2].Counts = bad[2].Counts[:1]
			_, err := SamplerCounts(classes, orig, bad)
			return err
		}, ErrNoData, "oversampling has 1 epochs"},
		{"short row", func() error {
			bad := []SamplerDraws{{"weighted", [][]int{{1, 2}}}}
			_, err := SamplerTable(classes, orig, bad)
			return err
		}, ErrClassMismatch, "weighted epoch 0 has 2 counts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
		})
	}
}
