package losses

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // pure Go: Evaluate works without XLA.
	. "github.com/gomlx/gomlx/pkg/core/graph"    //nolint:revive // GoMLX's graph DSL reads best unqualified.

	"github.com/debiaser/debiaser/toolkit/config"
)

var evalBackend = sync.OnceValues(backends.New)

// Evaluate returns the loss of cfg for one batch given as plain Go values
// (logits [N][C], labels in [0, C)), computed in float64 by the same graph
// code training uses (Graph). counts are as for New. It runs on the
// default GoMLX backend ($GOMLX_BACKEND; the pure-Go one is always linked).
func Evaluate(cfg Config, counts []int, logits [][]float64, labels []int) (loss float64, err error) {
	bad := func(key, format string, args ...any) error {
		return fmt.Errorf("losses: %w", &config.FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	if len(logits) == 0 {
		return 0, bad("logits", "empty batch")
	}
	c := len(logits[0])
	if c == 0 {
		return 0, bad("logits", "no classes")
	}
	for i, row := range logits {
		if len(row) != c {
			return 0, bad("logits", "ragged: row %d has %d values, row 0 has %d", i, len(row), c)
		}
	}
	if len(labels) != len(logits) {
		return 0, bad("labels", "%d labels for %d rows of logits", len(labels), len(logits))
	}
	if (cfg.Family == FamilyCB || cfg.Family == FamilyLA) && len(counts) != c {
		return 0, bad("counts", "%d class counts for %d classes of logits", len(counts), c)
	}
	labels32 := make([]int32, len(labels))
	for i, y := range labels {
		if y < 0 || y >= c {
			return 0, bad("labels", "label %d of sample %d is out of range [0, %d)", y, i, c)
		}
		labels32[i] = int32(y)
	}
	lossFn, err := New(cfg, counts)
	if err != nil {
		return 0, err
	}
	backend, err := evalBackend()
	if err != nil {
		return 0, fmt.Errorf("losses: backend: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("losses: evaluate: %v", r)
		}
	}()
	out, err := ExecOnce(backend, func(z, y *Node) *Node {
		return lossFn([]*Node{y}, []*Node{z})
	}, logits, labels32)
	if err != nil {
		return 0, fmt.Errorf("losses: evaluate: %w", err)
	}
	return out.Value().(float64), nil
}
