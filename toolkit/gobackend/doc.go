// Package gobackend provides "gofast", a pure-Go GoMLX backend that can train convolutional networks,
// and New, which picks the backend the toolkit runs on.
//
// GoMLX v0.26.0's pure-Go backend (SimpleGo, "go") lacks the ops CNN training needs (Reverse, Pad,
// SelectAndScatter for the max-pool gradient, the three batch-norm ops) and its convolution is a
// naive single-threaded loop. gofast wraps SimpleGo: buffers and executables are SimpleGo's, and its
// Builder emits SimpleGo nodes, adding custom kernels where SimpleGo has none or a slow one:
//
//   - ConvGeneral (and so the convolution gradients, which GoMLX expresses as convolutions): im2col
//     into reused scratch memory, then a blocked, parallel GEMM with AVX-512 or AVX2/FMA micro-kernels
//     when built with GOEXPERIMENT=simd on amd64, or gonum's Sgemm otherwise.
//     Strides, padding, input/kernel dilation, channel groups (incl. depthwise) and any axes layout.
//   - DotGeneral of float32 matrices (dense layers and their gradients): the same GEMM (SIMD builds).
//   - ReduceWindow (max/min/sum pooling) and SelectAndScatterMax/Min: row-wise kernels.
//   - BatchNormForTraining/Inference/Gradient: fused kernels.
//   - Reverse, Pad (incl. interior and negative padding): data-movement kernels, any dtype.
//   - Add, Sub, Mul, Div, Max, Sign, Sqrt on large float32 tensors: parallel loops.
//
// Everything else is SimpleGo's. The "emulate" config keeps SimpleGo's own convolution and matrix
// product and builds batch norm from SimpleGo ops; tests check both paths agree. Kernels use all
// cores; SimpleGo is told to run ops one at a time.
//
// Select it with GOMLX_BACKEND=gofast (after importing this package), or call New, which honours
// GOMLX_BACKEND, then a linked XLA backend, then falls back to gofast, and returns a one-line
// description for run logs.
//
// SimpleGo keeps its kernels in an unexported table; this package reaches it with go:linkname
// (link.go), pinned to GoMLX v0.26.0. See docs/backend.md for design, numbers and method.
package gobackend
