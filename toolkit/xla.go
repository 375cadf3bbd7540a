//go:build xla

package toolkit

// Built with -tags xla, the toolkit links GoMLX's XLA backend (cgo; it
// needs a PJRT plugin at run time: see docs/gpu.md) and controls its
// plugin download (off unless GOMLX_NO_AUTO_INSTALL=0).
import "github.com/gomlx/gomlx/backends/xla"

func init() { xlaAutoInstall = xla.EnableAutoInstall }
