package sampling

import (
	"slices"
	"strings"
	"testing"
)

func TestEpochCounts(t *testing.T) {
	labels := []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 2}
	tests := []struct {
		name string
		want []int // every epoch's counts; nil: only the total is fixed
	}{
		{"none", []int{6, 3, 1}},
		{"oversampling", []int{6, 6, 6}},
		{"undersampling", []int{1, 1, 1}},
		{"weighted", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := EpochCounts(s, labels, 3, 4, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 4 {
				t.Fatalf("%d epochs, want 4", len(got))
			}
			for e, row := range got {
				if tt.want != nil && !slices.Equal(row, tt.want) {
					t.Errorf("epoch %d: %v, want %v", e, row, tt.want)
				}
				if sum := row[0] + row[1] + row[2]; tt.want == nil && sum != len(labels) {
					t.Errorf("epoch %d: %d draws, want %d", e, sum, len(labels))
				}
			}
			// Each epoch must be what Indices gives for that epoch.
			idx, _ := s.Indices(labels, 3, 2, 7)
			if c := ClassCounts(labels, idx, 3); !slices.Equal(c, got[2]) {
				t.Errorf("epoch 2: %v, Indices gives %v", got[2], c)
			}
		})
	}
	// Weighted draws vary from epoch to epoch (with these labels, 10 draws
	// of 1/3 each; four identical epochs would be a seed bug).
	s, _ := New("weighted", Options{})
	got, _ := EpochCounts(s, labels, 3, 4, 7)
	if slices.Equal(got[0], got[1]) && slices.Equal(got[1], got[2]) && slices.Equal(got[2], got[3]) {
		t.Errorf("weighted: every epoch drew %v", got[0])
	}
}

func TestEpochCountsErrors(t *testing.T) {
	tests := []struct {
		name   string
		labels []int
		epochs int
		want   string
	}{
		{"no epochs", []int{0, 1}, 0, "epochs 0 < 1"},
		{"label out of range", []int{0, 5}, 2, "epoch 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EpochCounts(None{}, tt.labels, 2, tt.epochs, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
