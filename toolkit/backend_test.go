package toolkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/device"
)

// cleanBackendEnv unsets the variables SelectBackend reads or sets, and
// restores them after the test.
func cleanBackendEnv(t *testing.T) {
	for _, k := range []string{device.EnvBackend, device.EnvNoAutoInstall, device.EnvCUDAChecks} {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSelectBackend(t *testing.T) {
	xlaLinked := slices.Contains(backends.List(), device.XLAName)
	autoWhy := "(auto: XLA not linked; build with -tags xla)"
	if xlaLinked {
		autoWhy = "(auto: XLA linked, " // a plugin may or may not start here
	}
	type test struct {
		name, env string
		setEnv    bool
		want      string // in the description
		wantErr   string
		field     bool // the error is a *config.FieldError for "backend"
	}
	tests := []test{
		{name: "gofast", want: `backend gofast (from the config key "backend"): pure-Go CPU backend`},
		{name: "go", want: "backend go (from the config key \"backend\"): Simple Go"},
		{name: "gofast:emulate", want: "reference convolutions (emulate)"},
		{name: "", want: "backend gofast " + autoWhy},
		{name: "auto", env: "go", setEnv: true, want: "backend gofast " + autoWhy},
		{name: "", env: "go", setEnv: true, want: "backend go (from GOMLX_BACKEND)"},
		{name: "", env: "nope", setEnv: true, wantErr: `GOMLX_BACKEND="nope": unknown backend "nope": use auto, gofast, go, xla:cpu, xla:cuda or xla:/abs/path/to/plugin.so`},
		{name: "cuda", wantErr: `config: field "backend": unknown backend "cuda"`, field: true},
	}
	if xlaLinked {
		tests = append(tests, test{name: "xla:/no/such/plugin.so", wantErr: "PJRT plugin file /no/such/plugin.so: no such file or directory", field: true})
	} else {
		tests = append(tests,
			test{name: "xla:cpu", wantErr: `"xla:cpu" needs GoMLX's XLA backend, which this program does not link: build with -tags xla`, field: true},
			test{name: "xla:/no/such/plugin.so", wantErr: "build with -tags xla", field: true})
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q env %q", tt.name, tt.env), func(t *testing.T) {
			cleanBackendEnv(t)
			if tt.setEnv {
				t.Setenv(device.EnvBackend, tt.env)
			}
			b, info, err := SelectBackend(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var fe *config.FieldError
				if tt.field != (errors.As(err, &fe) && fe.Key == "backend") {
					t.Errorf("FieldError for \"backend\" = %v, err %v", !tt.field, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Finalize()
			if !strings.Contains(info, tt.want) {
				t.Errorf("info = %q, want %q", info, tt.want)
			}
			// The toolkit switches GoMLX's plugin download off.
			if v := os.Getenv(device.EnvNoAutoInstall); v != "1" {
				t.Errorf("%s = %q, want 1", device.EnvNoAutoInstall, v)
			}
		})
	}
}

func TestSelectBackendKeepsUserEnv(t *testing.T) {
	cleanBackendEnv(t)
	t.Setenv(device.EnvNoAutoInstall, "yes")
	b, _, err := SelectBackend("gofast")
	if err != nil {
		t.Fatal(err)
	}
	b.Finalize()
	if v := os.Getenv(device.EnvNoAutoInstall); v != "yes" {
		t.Errorf("%s = %q, the user's value was changed", device.EnvNoAutoInstall, v)
	}
}

func TestDeviceLine(t *testing.T) {
	cleanBackendEnv(t)
	cpuRE := `^CPU "[^"]+", \d+ CPUs, GOMAXPROCS ` + fmt.Sprint(runtime.GOMAXPROCS(0))
	for spec, tail := range map[string]string{
		"gofast":         `; gofast: im2col convolutions, GEMM: .+$`,
		"gofast:emulate": `; gofast: reference convolutions \(emulate\)$`,
		"go":             `; go: Simple Go Portable Backend$`,
	} {
		b, _, err := SelectBackend(spec)
		if err != nil {
			t.Fatal(err)
		}
		line := DeviceLine(b)
		b.Finalize()
		if _, err := os.Stat(device.CPUInfoPath); err != nil {
			cpuRE = `^CPU "unknown model, [^"]+", \d+ CPUs, GOMAXPROCS \d+`
		}
		if !regexp.MustCompile(cpuRE + tail).MatchString(line) {
			t.Errorf("%s: device line %q does not match %s", spec, line, cpuRE+tail)
		}
		t.Logf("%s: %s", spec, line)
	}
}

func TestPrepareBackendPipPlugin(t *testing.T) {
	cleanBackendEnv(t)
	sp := filepath.Join(t.TempDir(), "site-packages")
	plugin := filepath.Join(sp, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	for _, d := range []string{filepath.Dir(plugin), filepath.Join(sp, "nvidia", "cu13", "lib"), filepath.Join(sp, "nvidia", "cudnn", "lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(plugin, []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(device.EnvLibraryPath, "/usr/lib/x")
	spec, plan, err := PrepareBackend("xla:" + plugin)
	if slices.Contains(backends.List(), device.XLAName) != (err == nil) {
		t.Errorf("err = %v", err)
	}
	if spec.Plugin != plugin || !plan.Restart() {
		t.Fatalf("spec %+v plan %+v", spec, plan)
	}
	want := filepath.Join(sp, "nvidia/cu13/lib") + ":" + filepath.Join(sp, "nvidia/cudnn/lib") + ":/usr/lib/x"
	if plan.LibraryPath != want {
		t.Errorf("LD_LIBRARY_PATH %q, want %q", plan.LibraryPath, want)
	}
	if os.Getenv(device.EnvCUDAChecks) != "0" || os.Getenv(device.EnvNoAutoInstall) != "1" {
		t.Errorf("env not set: %s=%q %s=%q", device.EnvCUDAChecks, os.Getenv(device.EnvCUDAChecks), device.EnvNoAutoInstall, os.Getenv(device.EnvNoAutoInstall))
	}
	if !strings.Contains(plan.Notice(), "export LD_LIBRARY_PATH="+want) {
		t.Errorf("notice: %s", plan.Notice())
	}
}

func TestPatchedXLA(t *testing.T) {
	plain := &debug.BuildInfo{Deps: []*debug.Module{{Path: "github.com/gomlx/go-xla", Version: "v0.1.4"}}}
	if got := patchedXLA(plain); got != "" {
		t.Errorf("plain build: %q, want empty", got)
	}
	patched := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "github.com/gomlx/gomlx", Version: "v0.26.0"},
		{Path: "github.com/gomlx/go-xla", Version: "v0.1.4", Replace: &debug.Module{Path: "/tmp/x/go-xla", Version: "(devel)"}},
	}}
	if got, want := patchedXLA(patched), "patched build: go-xla v0.1.4 replaced by /tmp/x/go-xla"; got != want {
		t.Errorf("patched build: %q, want %q", got, want)
	}
}
