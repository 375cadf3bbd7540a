package models

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestTrainableParams: head-only (full=false) trains exactly the head,
// Linear(features, n_class); full trains everything.
func TestTrainableParams(t *testing.T) {
	tests := []struct {
		model string
		full  bool
	}{
		{"small_cnn", false},
		{"small_cnn", true},
		{"resnet18", false},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m, err := Build(tt.model, Options{NClass: 4, Full: tt.full})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			if err := m.Init(ctx, backend(t)); err != nil {
				t.Fatal(err)
			}
			trainable, frozen := TrainableParams(ctx)
			if total := ParamsIn(ctx); trainable+frozen != total {
				t.Errorf("trainable %d + frozen %d != ParamsIn %d", trainable, frozen, total)
			}
			head := m.Architecture().Features*4 + 4
			switch {
			case tt.full && (trainable != ParamsIn(ctx) || frozen != 0):
				t.Errorf("full: trainable %d, frozen %d; want all %d trainable", trainable, frozen, ParamsIn(ctx))
			case !tt.full && trainable != head:
				t.Errorf("head-only: trainable %d, want the head's %d", trainable, head)
			}
		})
	}
}
