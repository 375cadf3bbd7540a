package toolkit

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/transforms"
)

// dataCache keeps decoded datasets for the life of the process: notebooks
// and searches run many experiments on the same images.
var dataCache = struct {
	sync.Mutex
	m map[string]*data.Split
}{m: map[string]*data.Split{}}

// dataKey is what decides which images a config loads.
type dataKey struct {
	Dataset         string  `json:"dataset"`
	TrainPath       string  `json:"train_path"`
	ValidPath       string  `json:"valid_path"`
	ValidFraction   float64 `json:"valid_fraction"`
	ImbalanceFactor float64 `json:"imbalance_factor"`
	SkipBadFiles    bool    `json:"skip_bad_files"`
	LoadSize        int     `json:"load_size"`
	Seed            int64   `json:"seed"`
}

// LoadData loads the training and validation data a config names: an
// embedded dataset (dataset, or nothing set: MNIST-LT), image folders
// (train_path and valid_path), or one folder split by valid_fraction.
// Folder images are decoded once, resized to what the transforms need.
// Results are cached for the process.
func LoadData(cfg config.Config) (*data.Split, error) {
	pipe, err := transforms.FromConfig(cfg)
	if err != nil {
		return nil, err
	}
	key := dataKey{Dataset: cfg.Dataset, TrainPath: cfg.TrainPath, ValidPath: cfg.ValidPath,
		SkipBadFiles: cfg.SkipBadFiles, Seed: cfg.Seed, ImbalanceFactor: cfg.ImbalanceFactor}
	if cfg.TrainPath == "" {
		if key.Dataset == "" {
			key.Dataset = datasets.Default
		}
	} else {
		key.LoadSize = pipe.LoadSize()
		if cfg.ValidPath == "" {
			key.ValidFraction = cfg.ValidFraction
		}
	}
	kb, _ := json.Marshal(key)
	dataCache.Lock()
	defer dataCache.Unlock()
	if s, ok := dataCache.m[string(kb)]; ok {
		return s, nil
	}
	var split *data.Split
	switch {
	case cfg.TrainPath == "":
		tr, va, err := datasets.Load(key.Dataset, datasets.Options{ImbalanceFactor: cfg.ImbalanceFactor, Seed: cfg.Seed})
		if err != nil {
			return nil, &config.FieldError{Key: "dataset", Reason: err.Error()}
		}
		split = &data.Split{Train: tr, Valid: va}
	default:
		split, err = data.LoadConfig(cfg, key.LoadSize)
		if err == nil && cfg.ImbalanceFactor > 0 {
			// Folder data made long-tailed, as the embedded datasets are.
			tr, va, lerr := datasets.LongTail(split.Train, split.Valid, cfg.ImbalanceFactor, cfg.Seed)
			if lerr != nil {
				return nil, &config.FieldError{Key: "imbalance_factor", Reason: lerr.Error()}
			}
			split = &data.Split{Train: tr, Valid: va, Skipped: split.Skipped}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load data: %w", err)
	}
	dataCache.m[string(kb)] = split
	return split, nil
}
