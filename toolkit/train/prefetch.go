package train

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// prefetched is one batch made ahead of its training step.
type prefetched struct {
	images, labels *tensors.Tensor
	err            error
}

// prefetcher makes batches 0..n-1 on one goroutine, ahead of the
// training loop: batch b+1 is built while step b trains (with several
// steps per call, the next call's batches while this call trains).
// Batches come out in order and their contents depend only on their
// arguments (see Batcher), so a run is the same with or without it.
type prefetcher struct {
	out  chan prefetched
	done chan struct{}
	wg   sync.WaitGroup
}

// startPrefetch starts making batches with batch(b) for b in [0, n),
// up to ahead of them (>= 1) before the loop takes one. The goroutine
// stops after the first error (which next returns; a panic becomes an
// error) or at stop.
func startPrefetch(n, ahead int, batch func(b int) (images, labels *tensors.Tensor, err error)) *prefetcher {
	p := &prefetcher{out: make(chan prefetched, max(ahead, 1)-1), done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.out)
		for b := range n {
			var item prefetched
			item.err = catch(func() (err error) {
				item.images, item.labels, err = batch(b)
				return err
			})
			select {
			case p.out <- item:
				if item.err != nil {
					return
				}
			case <-p.done:
				freeAll(item.images, item.labels)
				return
			}
		}
	}()
	return p
}

// next returns the next batch in order. Call it at most n times.
func (p *prefetcher) next() prefetched {
	item, ok := <-p.out
	if !ok {
		return prefetched{err: fmt.Errorf("train: prefetch: no batch left")}
	}
	return item
}

// stop ends the goroutine, frees the batches made but not taken, and
// waits: after it returns, nothing runs in the background.
func (p *prefetcher) stop() {
	close(p.done)
	p.wg.Wait()
	for item := range p.out { // closed by the goroutine
		freeAll(item.images, item.labels)
	}
}
