//go:build xla

package main

// Built with -tags xla, the CLI links GoMLX's XLA backend (cgo; it needs a
// PJRT plugin at run time, e.g. the CUDA plugin: see docs/gpu.md).
import _ "github.com/gomlx/gomlx/backends/xla"
