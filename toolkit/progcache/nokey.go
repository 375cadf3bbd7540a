//go:build !xla

package progcache

import "github.com/gomlx/gomlx/backends"

// StableHLOKey keys builders of GoMLX's XLA backend by their program text;
// this program is built without XLA (no -tags xla), so it declines every
// builder.
func StableHLOKey(backends.Builder, []backends.Op) (string, bool) { return "", false }
