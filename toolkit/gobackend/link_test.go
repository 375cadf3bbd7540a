package gobackend

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TestLinkedSymbols checks the two SimpleGo internals link.go relies on: the executor table is
// SimpleGo's (populated for the ops it implements) and the node constructor builds usable nodes.
func TestLinkedSymbols(t *testing.T) {
	if sgNodeExecutors[backends.OpTypeDotGeneral] == nil || sgNodeExecutors[backends.OpTypeReshape] == nil {
		t.Fatal("linked executor table has no DotGeneral/Reshape executors: SimpleGo internals changed")
	}
	b := simplego.GetBackend().Builder("link").(*simplego.Builder)
	x, err := b.Parameter("x", shapes.Make(dtypes.Float32, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	n := sgNewNode(b, backends.OpTypeReverse, shapes.Make(dtypes.Float32, 2), x.(*simplego.Node))
	if s, err := b.OpShape(n); err != nil || !s.Equal(shapes.Make(dtypes.Float32, 2)) {
		t.Fatalf("node from linked newNode: shape %s, err %v", s, err)
	}
}
