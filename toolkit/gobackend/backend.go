package gobackend

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// BackendName is the name to use in GOMLX_BACKEND to select this backend, e.g. GOMLX_BACKEND=gofast.
const BackendName = "gofast"

func init() {
	backends.Register(BackendName, NewBackend)
}

// Backend is SimpleGo with the CNN ops completed and the hot ones replaced. Buffers and executables
// are SimpleGo's; only graph building differs (see Builder).
type Backend struct {
	*simplego.Backend

	// emulate selects the reference path: convolutions run SimpleGo's own (naive) ConvGeneral instead
	// of im2col + GEMM. Used to cross-check the fast path.
	emulate bool
}

var _ backends.Backend = (*Backend)(nil)

// NewBackend creates the gofast backend (also registered as the GoMLX constructor for "gofast").
// The config string is a comma-separated list of options: "emulate" (reference convolutions and
// batch norm built from SimpleGo ops), and any SimpleGo option (e.g. "parallelism=2",
// "ops_parallel"), which is passed on.
func NewBackend(config string) (backends.Backend, error) {
	// Ops run one at a time by default: every heavy kernel here already uses all cores, and SimpleGo's
	// concurrent op scheduling then only oversubscribes them (measured: 2-3x slower ResNet18 steps,
	// with much of the time in goroutine preemption). "ops_parallel" restores SimpleGo's behaviour.
	sgOptions := []string{"ops_sequential"}
	b := &Backend{}
	for _, opt := range strings.Split(config, ",") {
		switch opt {
		case "":
		case "emulate":
			b.emulate = true
		case "ops_parallel":
			sgOptions[0] = opt
		default:
			sgOptions = append(sgOptions, opt)
		}
	}
	sg, err := simplego.New(strings.Join(sgOptions, ","))
	if err != nil {
		return nil, fmt.Errorf("%s backend: %w", BackendName, err)
	}
	b.Backend = sg.(*simplego.Backend)
	return b, nil
}

// Name implements backends.Backend.
func (b *Backend) Name() string { return "GoFast (gofast)" }

// String implements backends.Backend.
func (b *Backend) String() string { return BackendName }

// Description implements backends.Backend.
func (b *Backend) Description() string {
	return fmt.Sprintf("pure-Go CPU backend (SimpleGo + CNN kernels, %s, %d cores)", b.Kernels(), runtime.GOMAXPROCS(0))
}

// Kernels says which convolution path and GEMM kernel this build runs
// (for the run log's device line).
func (b *Backend) Kernels() string {
	if b.emulate {
		return "reference convolutions (emulate)"
	}
	return "im2col convolutions, GEMM: " + gemmKernelName
}

// Capabilities implements backends.Backend: SimpleGo's plus the ops this package adds.
func (b *Backend) Capabilities() backends.Capabilities {
	c := simplego.Capabilities.Clone()
	for _, op := range []backends.OpType{
		backends.OpTypeReverse, backends.OpTypePad,
		backends.OpTypeSelectAndScatterMax, backends.OpTypeSelectAndScatterMin,
		backends.OpTypeBatchNormForInference, backends.OpTypeBatchNormForTraining, backends.OpTypeBatchNormGradient,
	} {
		c.Operations[op] = true
	}
	return c
}

// Builder implements backends.Backend.
func (b *Backend) Builder(name string) backends.Builder {
	return &Builder{Builder: b.Backend.Builder(name).(*simplego.Builder), backend: b}
}
