package toolkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/debiaser/debiaser/toolkit/config"
)

// Profiles of the notebooks and the CLI: "quick" runs on two CPU cores in
// minutes, "full" is the study's recipe for a GPU.
const (
	ProfileQuick = "quick"
	ProfileFull  = "full"
)

// Environment variables the notebooks read.
const (
	EnvProfile = "DEBIASER_PROFILE" // "quick" (default) or "full"
	EnvData    = "DEBIASER_DATA"    // an image folder; empty: the embedded default
	// EnvImbalance sets imbalance_factor: n_max/n_min of the data (a
	// folder made long-tailed at load time, or the embedded dataset's);
	// empty: the folder as it is, 10 for the embedded dataset.
	EnvImbalance = "DEBIASER_IMBALANCE"
)

// Profile returns the base config of a profile on the given data: a folder
// in the study's layout (train/<class>/*, valid/<class>/*), an image folder
// with one sub-folder per class (split 3:1 into train and valid, as the
// study's), or "" for the embedded MNIST-LT.
//
//   - quick: the small CNN trained from scratch on 28x28 images (32x32 for
//     folders), batch 32, Adam 1e-3, 3 epochs, no rotation.
//   - full: the study's baseline: ResNet-18 pretrained on ImageNet, 224x224,
//     50 epochs, batch 32, Adam 1e-5, rotation 30 degrees.
func Profile(name, dataDir string) (config.Config, error) {
	cfg := config.Defaults()
	switch name {
	case ProfileFull:
	case ProfileQuick, "":
		cfg.ModelName, cfg.Pretrained, cfg.Full = "small_cnn", false, true
		cfg.ImageSize = 28
		cfg.Rotate, cfg.Degrees = false, 0
		cfg.BatchSize = 32
		cfg.Epochs = 3
		cfg.LearningRate = 1e-3
		if dataDir != "" {
			cfg.ImageSize = 32
		}
	default:
		return cfg, &config.FieldError{Key: EnvProfile, Reason: fmt.Sprintf("unknown profile %q (quick, full)", name)}
	}
	switch {
	case dataDir != "" && isDir(filepath.Join(dataDir, "train")) && isDir(filepath.Join(dataDir, "valid")):
		cfg.TrainPath, cfg.ValidPath = filepath.Join(dataDir, "train"), filepath.Join(dataDir, "valid")
	case dataDir != "":
		cfg.TrainPath, cfg.ValidFraction = dataDir, 0.25
	default:
		cfg.Dataset = "mnist-lt"
	}
	return cfg, nil
}

// ProfileFromEnv is Profile($DEBIASER_PROFILE, $DEBIASER_DATA), with
// imbalance_factor from $DEBIASER_IMBALANCE when set.
func ProfileFromEnv() (config.Config, error) {
	cfg, err := Profile(os.Getenv(EnvProfile), os.Getenv(EnvData))
	if err != nil {
		return cfg, err
	}
	if s := os.Getenv(EnvImbalance); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return cfg, &config.FieldError{Key: EnvImbalance, Reason: fmt.Sprintf("want a number (imbalance_factor), got %q", s)}
		}
		cfg.ImbalanceFactor = f
		if err := cfg.Validate(); err != nil {
			return cfg, fmt.Errorf("%s=%s: %w", EnvImbalance, s, err)
		}
	}
	return cfg, nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
