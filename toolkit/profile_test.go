package toolkit

import (
	"os"
	"path/filepath"
	"strings"
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

func TestProfileFromEnvImbalance(t *testing.T) {
	flat := t.TempDir()
	t.Setenv(EnvProfile, ProfileQuick)
	t.Setenv(EnvData, flat)
	for _, tc := range []struct {
		env  string
		want float64
		err  string
	}{
		{"", 0, ""},
		{"10", 10, ""},
		{"2.5", 2.5, ""},
		{"ten", 0, "DEBIASER_IMBALANCE"},
		{"0.5", 0, "imbalance_factor"},
	} {
		t.Setenv(EnvImbalance, tc.env)
		cfg, err := ProfileFromEnv()
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s=%q: err = %v, want one naming %s", EnvImbalance, tc.env, err, tc.err)
			}
		case err != nil || cfg.ImbalanceFactor != tc.want || cfg.TrainPath != flat:
			t.Errorf("%s=%q: imbalance_factor %v (want %v), train_path %q, err %v", EnvImbalance, tc.env, cfg.ImbalanceFactor, tc.want, cfg.TrainPath, err)
		}
	}
}
