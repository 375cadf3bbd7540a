package models

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
)

// Precision names accepted by Options.Precision (and the run config's
// "precision" key). "bf16" is accepted as a short form of "bfloat16".
const (
	PrecisionFloat32  = "float32"
	PrecisionBFloat16 = "bfloat16"
)

// ComputeDType maps a precision name to the dtype convolutions, matrix
// products and activations are computed in.
//
// Mixed precision ("bfloat16") follows PyTorch's autocast recipe for
// CNNs: the input batch, convolution and linear weights (cast from their
// float32 variables inside the graph, so the optimizer updates float32
// master weights) and the activations between layers are bfloat16; batch
// normalisation computes its statistics, running averages and output
// arithmetic in float32 and hands bfloat16 back; the logits are converted
// to float32 before the loss, so losses, gradients of the variables and
// optimizer state are float32.
func ComputeDType(precision string) (dtypes.DType, error) {
	switch precision {
	case "", PrecisionFloat32:
		return dtypes.Float32, nil
	case PrecisionBFloat16, "bf16":
		return dtypes.BFloat16, nil
	}
	return dtypes.InvalidDType, fmt.Errorf("precision %q: want %q or %q", precision, PrecisionFloat32, PrecisionBFloat16)
}

// toCompute casts x to the model's compute dtype (no-op in float32).
func (b *builder) toCompute(x *Node) *Node {
	c := b.m.compute
	if c == dtypes.InvalidDType { // a Model not made by Build
		c = dtypes.Float32
	}
	if x.DType() == c {
		return x
	}
	return ConvertDType(x, c)
}

// toFloat32 casts x to float32 (no-op when it already is).
func toFloat32(x *Node) *Node {
	if x.DType() == dtypes.Float32 {
		return x
	}
	return ConvertDType(x, dtypes.Float32)
}
