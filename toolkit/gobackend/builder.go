package gobackend

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// Builder is SimpleGo's builder with the CNN ops added or replaced. Every op it emits is a SimpleGo
// node: either a composition of SimpleGo ops or a custom node with a kernel from this package.
type Builder struct {
	*simplego.Builder
	backend *Backend
}

var _ backends.Builder = (*Builder)(nil)

// nodes converts ops to SimpleGo nodes, checking (through SimpleGo's OpShape) that they belong to
// this builder and that it is not compiled yet: custom nodes bypass SimpleGo's own op checks.
func (b *Builder) nodes(opName string, ops ...backends.Op) ([]*simplego.Node, error) {
	out := make([]*simplego.Node, len(ops))
	for i, op := range ops {
		n, ok := op.(*simplego.Node)
		if !ok || n == nil {
			return nil, errors.Errorf("%s: input #%d is not an op of the %s backend", opName, i, BackendName)
		}
		if _, err := b.Builder.OpShape(op); err != nil {
			return nil, errors.WithMessagef(err, "%s: input #%d", opName, i)
		}
		out[i] = n
	}
	return out, nil
}

func (b *Builder) shape(op backends.Op) shapes.Shape {
	s, err := b.Builder.OpShape(op)
	if err != nil {
		return shapes.Invalid()
	}
	return s
}

// scalar returns a rank-0 constant of the given float dtype.
func (b *Builder) scalar(dtype dtypes.DType, v float64) (backends.Op, error) {
	switch dtype {
	case dtypes.Float32:
		return b.Builder.Constant([]float32{float32(v)})
	case dtypes.Float64:
		return b.Builder.Constant([]float64{v})
	}
	return nil, errors.Errorf("%s backend: dtype %s not supported here (float32 and float64 are)", BackendName, dtype)
}

func isFloat(dtype dtypes.DType) bool { return dtype == dtypes.Float32 || dtype == dtypes.Float64 }
