package datasets

import (
	"bytes"
	"slices"
	"testing"
)

func TestShapesStudy(t *testing.T) {
	train, valid, err := Load("shapes-study", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := train.Counts(); !slices.Equal(got, StudyTrainCounts) {
		t.Errorf("train counts %v", got)
	}
	if got := valid.Counts(); !slices.Equal(got, StudyValidCounts) {
		t.Errorf("valid counts %v", got)
	}
	checkDataset(t, train, ShapesSize, ShapesSize)
	checkDataset(t, valid, ShapesSize, ShapesSize)
	again, _, _ := ShapesStudy(Options{Seed: 1})
	other, _, _ := ShapesStudy(Options{Seed: 2})
	if !bytes.Equal(again.Images[7].Pix, train.Images[7].Pix) {
		t.Error("same seed, different images")
	}
	if bytes.Equal(other.Images[7].Pix, train.Images[7].Pix) {
		t.Error("seeds 1 and 2 gave the same image")
	}
	// A ring has a hole: its centre pixel is background for a ring drawn
	// in the middle; check the classes differ in their filled fraction.
	fill := func(c int) float64 {
		var on, all int
		for i, y := range train.Labels {
			if y != c {
				continue
			}
			p := train.Images[i].Pix
			for k := 0; k < len(p); k += 4 {
				all++
				if p[k] >= 128 || p[k+1] >= 128 || p[k+2] >= 128 {
					on++
				}
			}
		}
		return float64(on) / float64(all)
	}
	circle, square, triangle, ring := fill(0), fill(1), fill(2), fill(3)
	if !(square > circle && circle > triangle && circle > ring) {
		t.Errorf("filled fractions circle %.3f square %.3f triangle %.3f ring %.3f", circle, square, triangle, ring)
	}
}
