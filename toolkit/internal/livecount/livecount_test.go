package livecount

import (
	"testing"

	_ "github.com/gomlx/gomlx/backends/simplego"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// The counts follow uploads, program outputs, donations, finalizations
// (twice is once) and programs.
func TestCounts(t *testing.T) {
	inner, err := backends.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Finalize()
	b := Wrap(inner)
	check := func(when string, buffers, programs int) {
		t.Helper()
		if b.Buffers() != buffers || b.Programs() != programs {
			t.Errorf("%s: %s; want %d buffers, %d programs", when, b.Report(), buffers, programs)
		}
	}
	x := tensors.FromValue([]float32{1, 2, 3})
	if err := x.MaterializeOnDevice(b, false, 0); err != nil {
		t.Fatal(err)
	}
	check("uploaded", 1, 0)
	exec, err := graph.NewExec(b, func(v *graph.Node) *graph.Node { return graph.MulScalar(v, 2) })
	if err != nil {
		t.Fatal(err)
	}
	y, err := exec.Exec1(x)
	if err != nil {
		t.Fatal(err)
	}
	check("one output", 2, 1)
	// Donated: the program owns the input's buffer.
	donated, err := graph.DonateTensorBuffer(y, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	z, err := exec.Exec1(donated)
	if err != nil {
		t.Fatal(err)
	}
	check("donated", 2, 1)
	if got := tensors.MustCopyFlatData[float32](z); got[2] != 12 {
		t.Errorf("z = %v", got)
	}
	x.FinalizeAll()
	x.FinalizeAll()
	check("input freed", 1, 1)
	exec.Finalize()
	z.FinalizeAll()
	check("all freed", 0, 0)
	// Compiled keeps counting finalized programs: one, under its graph name.
	if got := b.Compiled(); len(got) != 1 || sumValues(got) != 1 {
		t.Errorf("Compiled() = %v; want one program", got)
	}
	if got := b.Executed(); len(got) != 1 || sumValues(got) != 2 {
		t.Errorf("Executed() = %v; want one program called twice", got)
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
