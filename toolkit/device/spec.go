package device

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
)

// Kind is the family of backend a spec names.
type Kind int

const (
	// Auto picks at run time: XLA when the program links it and a PJRT
	// plugin starts, else gofast.
	Auto Kind = iota
	// GoFast is the toolkit's pure-Go CPU backend (toolkit/gobackend).
	GoFast
	// SimpleGo is GoMLX's own pure-Go backend ("go"); it cannot train CNNs.
	SimpleGo
	// XLA is GoMLX's XLA backend with a PJRT plugin (cgo, -tags xla).
	XLA
)

// Names the registered GoMLX backends these kinds use.
const (
	GoFastName   = "gofast"
	SimpleGoName = "go"
	XLAName      = "xla"
)

// EnvBackend is GoMLX's environment variable for the backend, the
// fallback when neither --backend nor the config key is set.
const EnvBackend = "GOMLX_BACKEND"

// ConfigKey is the config (var_dict) key of the backend spec.
const ConfigKey = "backend"

// Spec is a parsed backend spec.
type Spec struct {
	Kind Kind
	// Plugin is the XLA PJRT plugin: a name ("cpu", "cuda", or any plugin
	// GoMLX finds on PJRT_PLUGIN_LIBRARY_PATH) or an absolute path to a
	// plugin file. Empty for the other kinds.
	Plugin string
	// Options are passed on to the backend after its name
	// ("gofast:emulate", "xla:cuda,tf32").
	Options []string
	// Source says where the spec came from: ConfigKey, EnvBackend, or ""
	// for the default (auto).
	Source string
}

// Parse reads a backend spec. "" and "auto" are Auto; "gofast[:opts]",
// "go[:opts]", "xla:cpu", "xla:cuda", "xla:NAME" and "xla:/abs/plugin.so"
// (options after a comma: "xla:cuda,tf32"). A relative plugin path
// ("xla:./p.so") is made absolute. Parse checks the syntax only; Check
// looks at the program and the file system.
func Parse(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "auto" {
		return Spec{Kind: Auto}, nil
	}
	name, rest, _ := strings.Cut(s, ":")
	var opts []string
	switch name {
	case GoFastName, SimpleGoName:
		if rest != "" {
			opts = strings.Split(rest, ",")
		}
		kind := GoFast
		if name == SimpleGoName {
			kind = SimpleGo
		}
		return Spec{Kind: kind, Options: opts}, nil
	case XLAName, "stablehlo", "hlo", "shlo":
		plugin, o, _ := strings.Cut(rest, ",")
		if o != "" {
			opts = strings.Split(o, ",")
		}
		if plugin == "" {
			return Spec{}, fmt.Errorf("%q names no PJRT plugin: use xla:cpu, xla:cuda or xla:/abs/path/to/plugin.so", s)
		}
		if strings.ContainsRune(plugin, filepath.Separator) || strings.HasSuffix(plugin, ".so") {
			abs, err := filepath.Abs(plugin)
			if err != nil {
				return Spec{}, fmt.Errorf("plugin path %q: %w", plugin, err)
			}
			plugin = abs
		}
		return Spec{Kind: XLA, Plugin: plugin, Options: opts}, nil
	}
	return Spec{}, fmt.Errorf("unknown backend %q: use auto, gofast, go, xla:cpu, xla:cuda or xla:/abs/path/to/plugin.so", s)
}

// Resolve applies the precedence: value (the --backend flag or the config
// key) if set, else $GOMLX_BACKEND, else auto. Errors name where the bad
// spec came from: a *config.FieldError for the config key, the variable's
// name for the environment.
func Resolve(value string, getenv func(string) (string, bool)) (Spec, error) {
	source := ConfigKey
	if strings.TrimSpace(value) == "" {
		source = ""
		if v, ok := getenv(EnvBackend); ok && strings.TrimSpace(v) != "" {
			value, source = v, EnvBackend
		}
	}
	s, err := Parse(value)
	if err != nil {
		return s, sourceError(source, value, err.Error())
	}
	s.Source = source
	return s, nil
}

func sourceError(source, value, reason string) error {
	if source == EnvBackend {
		return fmt.Errorf("%s=%q: %s", EnvBackend, value, reason)
	}
	return &config.FieldError{Key: ConfigKey, Reason: reason}
}

// ByPath reports whether the XLA plugin is given as a file path.
func (s Spec) ByPath() bool { return s.Kind == XLA && filepath.IsAbs(s.Plugin) }

// String is the canonical spec ("auto", "gofast", "xla:/abs/p.so,tf32").
func (s Spec) String() string {
	var b string
	switch s.Kind {
	case Auto:
		return "auto"
	case GoFast:
		b = GoFastName
	case SimpleGo:
		b = SimpleGoName
	case XLA:
		b = XLAName + ":" + s.Plugin
		if len(s.Options) > 0 {
			b += "," + strings.Join(s.Options, ",")
		}
		return b
	}
	if len(s.Options) > 0 {
		b += ":" + strings.Join(s.Options, ",")
	}
	return b
}

// Config is the string for GoMLX's backends.NewWithConfig; empty for Auto.
func (s Spec) Config() string {
	if s.Kind == Auto {
		return ""
	}
	return s.String()
}

// BackendName is the registered GoMLX backend the spec needs ("" for Auto).
func (s Spec) BackendName() string {
	return [...]string{"", GoFastName, SimpleGoName, XLAName}[s.Kind]
}

// Check says whether the spec can run in this program: its backend must
// be registered (registered is GoMLX's backends.List()) and a plugin given
// by path must be a file. The error names the spec's source and says what
// is available.
func (s Spec) Check(registered []string) error {
	name := s.BackendName()
	if name == "" {
		return nil
	}
	if !slices.Contains(registered, name) {
		registered = slices.Sorted(slices.Values(registered))
		reason := fmt.Sprintf("%q is not available in this program (available: auto, %s)", s, strings.Join(registered, ", "))
		if s.Kind == XLA {
			reason = fmt.Sprintf("%q needs GoMLX's XLA backend, which this program does not link: build with -tags xla (cgo; see docs/gpu.md); available: auto, %s", s, strings.Join(registered, ", "))
		}
		return sourceError(s.Source, s.String(), reason)
	}
	if s.ByPath() {
		st, err := os.Stat(s.Plugin)
		switch {
		case err != nil:
			return sourceError(s.Source, s.String(), fmt.Sprintf("PJRT plugin file %s: %v", s.Plugin, unwrapPath(err)))
		case !st.Mode().IsRegular():
			return sourceError(s.Source, s.String(), fmt.Sprintf("PJRT plugin %s is not a file", s.Plugin))
		}
	}
	return nil
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
