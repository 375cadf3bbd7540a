package toolkit

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProfileData(t *testing.T) {
	study := t.TempDir()
	for _, d := range []string{"train/a", "valid/a"} {
		if err := os.MkdirAll(filepath.Join(study, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	flat := t.TempDir()
	tests := []struct {
		name, dir             string
		dataset, train, valid string
		fraction              float64
	}{
		{"embedded", "", "mnist-lt", "", "", 0},
		{"study layout", study, "", filepath.Join(study, "train"), filepath.Join(study, "valid"), 0},
		{"one folder", flat, "", flat, "", 0.25},
	}
	for _, tt := range tests {
		for _, p := range []string{ProfileQuick, ProfileFull} {
			cfg, err := Profile(p, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Dataset != tt.dataset || cfg.TrainPath != tt.train || cfg.ValidPath != tt.valid || cfg.ValidFraction != tt.fraction && tt.fraction != 0 {
				t.Errorf("%s/%s: dataset %q train %q valid %q fraction %v", tt.name, p, cfg.Dataset, cfg.TrainPath, cfg.ValidPath, cfg.ValidFraction)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("%s/%s: %v", tt.name, p, err)
			}
		}
	}
	if _, err := Profile("fast", ""); err == nil {
		t.Error("unknown profile accepted")
	}
}
