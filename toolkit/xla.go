//go:build xla

package toolkit

// Built with -tags xla, the toolkit links GoMLX's XLA backend (cgo; it
// needs a PJRT plugin at run time: see docs/gpu.md) and switches its
// plugin download off from the start, unless GOMLX_NO_AUTO_INSTALL is 0,
// false or no (GoMLX alone downloads unless the variable is set).
import (
	"os"

	"github.com/gomlx/gomlx/backends/xla"

	"github.com/debiaser/debiaser/toolkit/device"
)

func init() {
	xlaAutoInstall = xla.EnableAutoInstall
	xla.EnableAutoInstall(device.AutoInstall(os.LookupEnv))
}
