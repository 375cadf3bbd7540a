package gobackend_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/gobackend"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// A max-pooled convolution and its input gradient on the pure-Go backend: both need ops plain
// SimpleGo lacks.
func ExampleNewBackend() {
	backend, err := gobackend.NewBackend("")
	if err != nil {
		panic(err)
	}
	exec, err := NewExec(backend, func(x, k *Node) (*Node, *Node) {
		y := MaxPool(Convolve(x, k).PadSame().Done()).Window(2).Done()
		return y, Gradient(ReduceAllSum(y), x)[0]
	})
	if err != nil {
		panic(err)
	}
	out, err := exec.Exec([][][][]float32{{{{1}, {2}}, {{3}, {4}}}}, [][][][]float32{{{{1}}}})
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Value(), out[1].Value())
	// Output: [[[[4]]]] [[[[0] [0]] [[0] [1]]]]
}
