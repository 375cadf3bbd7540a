package toolkit

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/debiaser/debiaser/toolkit/data"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/train"
	"github.com/debiaser/debiaser/toolkit/transforms"
	"github.com/debiaser/debiaser/toolkit/transforms/devaug"
)

// EvalCacheBytes bounds the validation batches a run (or a study) keeps:
// float32 pixels, on the host and, once used, on the backend's device.
// 500 images at 224x224 take 301 MB; a larger validation set is cached up
// to this size and the rest made every epoch as before.
const EvalCacheBytes = 1 << 30

// runInputs holds what a run's batches are made from and can be reused:
// the validation batches (deterministic: made and uploaded once, not once
// per epoch) and the device augmenter (the training images uploaded once).
// A study shares one across its methods, which train on the same data with
// the same transforms; a lone run owns its own and closes it at the end.
type runInputs struct {
	mu    sync.Mutex
	valid map[string]*evalCache
	aug   map[string]*devaug.Augmenter
	// initial holds the variables' initial values of runs that start
	// alike (same model, options and seed): initialised once.
	initial *train.InitialValues
	// features holds the training features of linear-probe runs (frozen
	// backbone, no random transforms): computed once for all methods.
	features *train.FeatureStore
}

func newRunInputs() *runInputs {
	return &runInputs{valid: map[string]*evalCache{}, aug: map[string]*devaug.Augmenter{},
		initial: train.NewInitialValues(), features: train.NewFeatureStore()}
}

// initialKey names what decides a run's initial variable values besides
// the variables themselves (train.InitialValues checks those).
func initialKey(m *models.Model) string {
	return fmt.Sprintf("%s head_bias=%v cosine_scale=%v", backboneKey(m), m.Options.HeadBias, m.Options.CosineScale)
}

// backboneKey names what decides the initial values of a run's backbone:
// initialKey without the head's options (the backbone's values do not
// depend on them: models.TestHeadBiasLeavesBackbone), so that runs whose
// heads start apart still share a frozen backbone's features.
func backboneKey(m *models.Model) string {
	o := m.Options
	return fmt.Sprintf("%s n_class=%d pretrained=%v weights=%q", m.Name, o.NClass, o.Pretrained, o.WeightsPath)
}

// validBatches returns the cache of ds's batches through the eval
// pipeline p, for backend (a tensor, once on a backend's device, belongs
// to that backend).
func (in *runInputs) validBatches(backend backends.Backend, ds *data.Dataset, p transforms.Pipeline, seed int64) *evalCache {
	in.mu.Lock()
	defer in.mu.Unlock()
	key := fmt.Sprintf("%p %p %+v", backend, ds, p.InMode(transforms.Eval))
	c, ok := in.valid[key]
	if !ok {
		c = &evalCache{
			backend: backend,
			src:     &data.Batcher{Data: ds, Transform: p.InMode(transforms.Eval), Seed: seed},
			budget:  EvalCacheBytes,
			kept:    map[int]evalBatch{},
			owned:   map[*tensors.Tensor]bool{},
		}
		in.valid[key] = c
	}
	return c
}

// augmenter returns the device augmenter of ds through the train pipeline
// p with seed, uploading the images the first time.
func (in *runInputs) augmenter(backend backends.Backend, ds *data.Dataset, p transforms.Pipeline, seed int64) (*devaug.Augmenter, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	key := fmt.Sprintf("%p %p %+v %d", backend, ds, p.InMode(transforms.Train), seed)
	if a, ok := in.aug[key]; ok {
		return a, nil
	}
	a, err := devaug.New(backend, ds, p.InMode(transforms.Train), seed)
	if err != nil {
		return nil, err
	}
	in.aug[key] = a
	return a, nil
}

// close frees every kept batch and upload.
func (in *runInputs) close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, c := range in.valid {
		c.free()
	}
	for _, a := range in.aug {
		a.Close()
	}
	clear(in.valid)
	clear(in.aug)
	in.initial.Free()
}

// evalCache makes the validation batches through src once and keeps them
// (up to budget bytes of pixels): the eval transforms draw no randomness,
// so a batch depends only on its indices. The tensors it keeps stay on
// the backend after their first use; train.Run leaves them alone (Kept).
type evalCache struct {
	backend backends.Backend // where kept batches are uploaded; nil: not uploaded here
	src     *data.Batcher
	budget  int64

	mu    sync.Mutex
	kept  map[int]evalBatch // by the batch's position in the set's order
	owned map[*tensors.Tensor]bool
	used  int64
	hits  int
}

type evalBatch struct {
	indices        []int
	images, labels *tensors.Tensor
}

// Tensors returns the batch of the samples at indices, kept or new.
func (c *evalCache) Tensors(indices []int, epoch, position int) (images, labels *tensors.Tensor, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.kept[position]; ok && slices.Equal(b.indices, indices) {
		c.hits++
		return b.images, b.labels, nil
	}
	if images, labels, err = c.src.Tensors(indices, epoch, position); err != nil {
		return nil, nil, err
	}
	size := int64(images.Shape().Memory() + labels.Shape().Memory())
	if _, taken := c.kept[position]; !taken && c.used+size <= c.budget {
		// Upload now, once: runs in parallel then only read the device
		// copy (GoMLX's first upload of a tensor is not safe to race).
		if c.backend != nil {
			for _, t := range []*tensors.Tensor{images, labels} {
				if err := t.MaterializeOnDevice(c.backend, false, 0); err != nil {
					images.FinalizeAll()
					labels.FinalizeAll()
					return nil, nil, fmt.Errorf("validation batch at %d: upload: %w", position, err)
				}
			}
		}
		c.kept[position] = evalBatch{indices: slices.Clone(indices), images: images, labels: labels}
		c.owned[images], c.owned[labels] = true, true
		c.used += size
	}
	return images, labels, nil
}

// Kept reports whether t is one of the kept batches' tensors (the caller
// must not free it).
func (c *evalCache) Kept(t *tensors.Tensor) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owned[t]
}

func (c *evalCache) free() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.kept {
		b.images.FinalizeAll()
		b.labels.FinalizeAll()
	}
	clear(c.kept)
	clear(c.owned)
	c.used = 0
}
