// Package xlafix works around what GoMLX v0.26.0's XLA backend (with
// go-xla v0.1.4) gets wrong for mixed-precision (bfloat16) training graphs,
// so that they compile on current PJRT plugins.
//
// The failure (GPU.md, H200, jax-cuda13-pjrt 0.11.2): a bfloat16 ResNet-18
// training step failed to compile with "expected element literal of
// primitive type ... Failed to parse using StableHLO v1.20.0". The cause,
// found in the sources and shown by TestGoXLABFloat16LiteralBug: two ops of
// GoMLX's XLA builder — SelectAndScatter (the max-pool gradient) and
// ArgMinMax — make their initial-value constants with GoMLX's own
// bfloat16 type and hand them straight to go-xla's StableHLO writer, which
// only knows go-xla's bfloat16 type and writes "*don't know how to present
// data type*" into the program text (Builder.Constant converts the type;
// these two paths skip it).
//
// Wrap returns a backend whose graph builders run those two ops on float32
// copies of half-precision operands (exact widening; the max-pool gradient
// is summed in float32 and rounded once, which is at least as accurate) and
// convert back. Every other op passes through unchanged. toolkit's
// SelectBackend wraps every XLA backend it makes.
//
// The regression test that needs no GPU (xla_test.go, build tag xla, run
// by CI): it builds the real mixed-precision ResNet-18 training step with
// GoMLX's own XLA graph builder (a backend with no plugin behind it: the
// StableHLO text is taken at the moment it would be compiled), checks every
// constant literal of the program, and shows that without Wrap the same
// graph contains the unparseable literal. The same graph trains on the CPU
// backend gofast (toolkit/models TestMixedPrecisionTrainStep).
package xlafix
