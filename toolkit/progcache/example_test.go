package progcache_test

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/debiaser/debiaser/toolkit/progcache"
)

// Two Execs of one graph (as two runs build them) compile once. On XLA the
// default key, the program's StableHLO, needs no help; on the pure-Go
// backend this example keys graphs by name.
func Example() {
	inner, err := backends.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	byName := func(b backends.Builder, _ []backends.Op) (string, bool) {
		name, _, _ := strings.Cut(b.Name(), "#")
		return name, true
	}
	cache := progcache.New(0, byName)
	b := progcache.Wrap(inner, cache)
	defer b.Finalize()
	for run := range 2 {
		double := graph.MustNewExec(b, func(x *graph.Node) *graph.Node { return graph.MulScalar(x, 2) }).WithName("double")
		fmt.Println("run", run+1, double.MustExec1(float32(run+1)).Value())
		double.Finalize() // released: the cache keeps the program
	}
	fmt.Printf("%+v\n", cache.Stats())
	// Output:
	// run 1 2
	// run 2 4
	// {Compiles:1 Reuses:1 Unkeyed:0 Freed:0}
}
