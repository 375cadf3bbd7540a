//go:build !(goexperiment.simd && amd64)

package gobackend

import "github.com/gomlx/gomlx/backends"

// Without GOEXPERIMENT=simd (or off amd64) the elementwise loops are
// scalar Go.

func binarySIMD(backends.OpType, []float32, []float32, []float32) bool { return false }

func sqrtSIMD([]float32, []float32) bool { return false }

func signSIMD([]float32, []float32) bool { return false }
