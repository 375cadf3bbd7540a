package gobackend

import (
	"fmt"
	"os"
	"slices"

	"github.com/gomlx/gomlx/backends"
)

// XLABackendName is the name the XLA backend registers under when a program links it
// (github.com/gomlx/gomlx/backends/xla). This package does not link it: XLA needs a PJRT plugin and
// cgo, so linking it is left to the final binary (e.g. behind a build tag in the CLI).
const XLABackendName = "xla"

// New returns the backend the toolkit should run on and a one-line description for run logs:
//
//  1. $GOMLX_BACKEND, if set (any registered backend, e.g. "gofast", "go", "xla:cpu");
//  2. XLA, if the program links it and it starts (i.e. a PJRT plugin is installed);
//  3. otherwise this package's pure-Go backend, gofast.
//
// It never panics: GoMLX backend constructors that panic are reported as errors.
func New() (backends.Backend, string, error) {
	if config, ok := os.LookupEnv(backends.ConfigEnvVar); ok {
		b, err := newWithConfig(config)
		if err != nil {
			return nil, "", fmt.Errorf("%s=%q: %w", backends.ConfigEnvVar, config, err)
		}
		return b, describe(b, "from "+backends.ConfigEnvVar), nil
	}
	if slices.Contains(backends.List(), XLABackendName) {
		if b, err := newWithConfig(XLABackendName); err == nil {
			return b, describe(b, "XLA plugin found"), nil
		}
	}
	b, err := NewBackend("")
	if err != nil {
		return nil, "", err
	}
	return b, describe(b, "no XLA plugin"), nil
}

func describe(b backends.Backend, why string) string {
	return fmt.Sprintf("backend %s (%s): %s", b.String(), why, b.Description())
}

// newWithConfig wraps backends.NewWithConfig, turning its panics into errors.
func newWithConfig(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return backends.NewWithConfig(config)
}
