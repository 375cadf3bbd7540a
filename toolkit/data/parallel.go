package data

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelFor runs fn(i) for i in [0, n) on workers goroutines (<= 0: all
// cores) and returns the error of the lowest i that failed, so the answer
// does not depend on scheduling. After a failure at i, items above i are
// skipped; items below it still run, since one of them may fail too.
func parallelFor(n, workers int, fn func(i int) error) error {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, n)
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstBad = n
		firstErr error
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				mu.Lock()
				skip := i > firstBad
				mu.Unlock()
				if skip {
					continue
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if i < firstBad {
						firstBad, firstErr = i, err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}
