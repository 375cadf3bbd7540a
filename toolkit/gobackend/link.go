package gobackend

import (
	"reflect"
	"runtime"
	"sync"
	"unsafe"
	"weak"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// This file is the only place that reaches into SimpleGo's unexported internals.
//
// SimpleGo keeps its op implementations ("executors") in an unexported table and offers no public way
// to add a kernel. We pull two of its unexported symbols with go:linkname: the executor table and the
// Builder's node constructor. Both are stable in the pinned GoMLX v0.26.0 (go.mod); TestLinkedSymbols
// (and every other test) fails loudly if an upgrade changes them.
//
// Slots SimpleGo leaves empty (ops it does not implement) get our dispatcher; slots it implements are
// wrapped so that nodes this package did not create still run SimpleGo's own kernel: importing this
// package never changes what the plain "go" backend computes.

// sgExecutor mirrors simplego.nodeExecutor (same signature; the named type is unexported).
type sgExecutor func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error)

//go:linkname sgNodeExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var sgNodeExecutors [backends.OpTypeLast]sgExecutor

//go:linkname sgNewNode github.com/gomlx/gomlx/backends/simplego.(*Builder).newNode
func sgNewNode(b *simplego.Builder, opType backends.OpType, shape shapes.Shape, inputs ...*simplego.Node) *simplego.Node

// kernelFn computes a custom node's output from its input buffers. It must not modify the inputs.
type kernelFn func(backend *simplego.Backend, inputs []*simplego.Buffer) (*simplego.Buffer, error)

// kernels maps each custom node (by weak pointer, so graphs can still be collected) to its kernel.
var kernels sync.Map // weak.Pointer[simplego.Node] -> kernelFn

// carrierOps are the SimpleGo op slots our custom nodes are tagged with. The op type only names the
// node in SimpleGo's error messages; dispatch is by node identity.
var carrierOps = []backends.OpType{
	backends.OpTypeConvGeneral, // im2col patches.
	backends.OpTypeDotGeneral,
	backends.OpTypeReverse,
	backends.OpTypePad,
	backends.OpTypeSelectAndScatterMax,
	backends.OpTypeSelectAndScatterMin,
	backends.OpTypeReduceWindow, // fast max/sum pooling.
	backends.OpTypeBatchNormForTraining,
	backends.OpTypeBatchNormGradient,
	backends.OpTypeBatchNormForInference,
	backends.OpTypeAdd, // Parallel elementwise kernels (elementwise.go).
	backends.OpTypeSub,
	backends.OpTypeMul,
	backends.OpTypeDiv,
	backends.OpTypeMax,
	backends.OpTypeSign,
	backends.OpTypeSqrt,
	backends.OpTypeConvertDType, // float32 -> bfloat16 rounding to nearest even (half.go).
}

func init() {
	for _, op := range carrierOps {
		original := sgNodeExecutors[op]
		sgNodeExecutors[op] = func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
			if k, ok := kernels.Load(weak.Make(node)); ok {
				return k.(kernelFn)(backend, inputs)
			}
			if original == nil {
				return nil, errors.Errorf("gobackend: no kernel for %s node", op)
			}
			return original(backend, node, inputs, owned)
		}
	}
}

// customNode adds to b a node computed by kernel from inputs, with the given output shape.
func customNode(b *simplego.Builder, opType backends.OpType, shape shapes.Shape, kernel kernelFn, inputs ...*simplego.Node) *simplego.Node {
	node := sgNewNode(b, opType, shape, inputs...)
	key := weak.Make(node)
	kernels.Store(key, kernel)
	runtime.AddCleanup(node, func(k weak.Pointer[simplego.Node]) { kernels.Delete(k) }, key)
	return node
}

// flatOf returns the buffer's data (a slice of its dtype) without copying.
func flatOf(backend *simplego.Backend, buf *simplego.Buffer) any {
	flat, err := backend.BufferData(buf)
	if err != nil {
		panic(err) // Only fails for foreign buffers, which SimpleGo never passes.
	}
	return flat
}

// bytesOf returns the buffer's data as raw bytes, for dtype-agnostic data movement.
func bytesOf(backend *simplego.Backend, buf *simplego.Buffer) []byte {
	shape, _ := backend.BufferShape(buf)
	n := shape.Size() * int(shape.DType.Size())
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(reflect.ValueOf(flatOf(backend, buf)).UnsafePointer()), n)
}
