package toolkit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/gobackend"
)

// SelectBackend makes the GoMLX backend a run uses and a one-line
// description of it for the run log. An empty name picks one: GOMLX_BACKEND
// if set, else XLA when the program links it and a PJRT plugin starts,
// else the pure-Go "gofast" backend. A name is any registered backend with
// its options ("gofast", "go", "xla:cpu", "xla:/path/to/plugin.so").
func SelectBackend(name string) (b backends.Backend, info string, err error) {
	if name == "" {
		return gobackend.New()
	}
	kind, _, _ := strings.Cut(name, ":")
	if !slices.Contains(backends.List(), kind) {
		hint := ""
		if kind == gobackend.XLABackendName {
			hint = " (XLA is linked only in builds with -tags xla)"
		}
		return nil, "", &config.FieldError{Key: "backend", Reason: fmt.Sprintf("%q is not available%s; available: %s", name, hint, strings.Join(backends.List(), ", "))}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("backend %q: %v", name, r)
		}
	}()
	if b, err = backends.NewWithConfig(name); err != nil {
		return nil, "", fmt.Errorf("backend %q: %w", name, err)
	}
	return b, describe(b), nil
}

func describe(b backends.Backend) string {
	return fmt.Sprintf("backend %s: %s", b.String(), b.Description())
}
