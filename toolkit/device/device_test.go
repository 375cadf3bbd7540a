package device

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/config"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse(t *testing.T) {
	wd, _ := os.Getwd()
	tests := []struct {
		in      string
		want    Spec
		str     string
		wantErr string
	}{
		{"", Spec{Kind: Auto}, "auto", ""},
		{" auto ", Spec{Kind: Auto}, "auto", ""},
		{"gofast", Spec{Kind: GoFast}, "gofast", ""},
		{"gofast:emulate,parallelism=2", Spec{Kind: GoFast, Options: []string{"emulate", "parallelism=2"}}, "gofast:emulate,parallelism=2", ""},
		{"go", Spec{Kind: SimpleGo}, "go", ""},
		{"xla:cpu", Spec{Kind: XLA, Plugin: "cpu"}, "xla:cpu", ""},
		{"xla:cuda,tf32", Spec{Kind: XLA, Plugin: "cuda", Options: []string{"tf32"}}, "xla:cuda,tf32", ""},
		{"stablehlo:cuda", Spec{Kind: XLA, Plugin: "cuda"}, "xla:cuda", ""},
		{"xla:/opt/v/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so", Spec{Kind: XLA, Plugin: "/opt/v/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so"},
			"xla:/opt/v/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so", ""},
		{"xla:plugins/p.so", Spec{Kind: XLA, Plugin: filepath.Join(wd, "plugins/p.so")}, "xla:" + filepath.Join(wd, "plugins/p.so"), ""},
		{"xla", Spec{}, "", "names no PJRT plugin"},
		{"xla:", Spec{}, "", "names no PJRT plugin"},
		{"cuda", Spec{}, "", `unknown backend "cuda": use auto, gofast, go, xla:cpu`},
		{"tpu:x", Spec{}, "", "unknown backend"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
			if got.String() != tt.str {
				t.Errorf("String = %q, want %q", got.String(), tt.str)
			}
			if again, err := Parse(got.String()); err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("Parse(String()) = %+v, %v", again, err)
			}
		})
	}
}

func TestResolvePrecedence(t *testing.T) {
	tests := []struct {
		value, envValue string
		setEnv          bool
		want, source    string
	}{
		{"gofast", "xla:cpu", true, "gofast", ConfigKey},
		{"", "xla:cpu", true, "xla:cpu", EnvBackend},
		{"", "", true, "auto", ""},
		{"", "", false, "auto", ""},
		{"auto", "xla:cpu", true, "auto", ConfigKey},
	}
	for _, tt := range tests {
		getenv := env()
		if tt.setEnv {
			getenv = env(EnvBackend, tt.envValue)
		}
		s, err := Resolve(tt.value, getenv)
		if err != nil {
			t.Fatal(err)
		}
		if s.String() != tt.want || s.Source != tt.source {
			t.Errorf("Resolve(%q, env %q) = %s from %q, want %s from %q", tt.value, tt.envValue, s, s.Source, tt.want, tt.source)
		}
	}
	// A bad spec names where it came from.
	_, err := Resolve("cuda", env())
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Key != "backend" {
		t.Errorf("bad config value: err = %v, want a FieldError for %q", err, "backend")
	}
	_, err = Resolve("", env(EnvBackend, "xla"))
	if err == nil || !strings.HasPrefix(err.Error(), `GOMLX_BACKEND="xla": `) {
		t.Errorf("bad env value: err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "p.so")
	if err := os.WriteFile(plugin, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	noXLA := []string{"go", "gofast"}
	withXLA := []string{"go", "gofast", "xla"}
	tests := []struct {
		spec       string
		registered []string
		wantErr    string
	}{
		{"auto", noXLA, ""},
		{"gofast", noXLA, ""},
		{"go", noXLA, ""},
		{"xla:cpu", noXLA, "build with -tags xla"},
		{"xla:cpu", withXLA, ""},
		{"xla:" + plugin, withXLA, ""},
		{"xla:" + filepath.Join(dir, "missing.so"), withXLA, "missing.so: no such file or directory"},
		{"xla:" + dir + "/", withXLA, "is not a file"},
		{"gofast", []string{"go"}, `"gofast" is not available in this program (available: auto, go)`},
	}
	for _, tt := range tests {
		s, err := Resolve(tt.spec, env())
		if err != nil {
			t.Fatal(err)
		}
		err = s.Check(tt.registered)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Check(%s, %v) = %v, want %q", tt.spec, tt.registered, err, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), `field "backend"`) {
			t.Errorf("error does not name the field: %v", err)
		}
	}
}

// fakeVenv makes a pip-style tree: site-packages/jax_plugins/xla_cuda13/
// xla_cuda_plugin.so and site-packages/nvidia/<libs>/lib.
func fakeVenv(t *testing.T, libs ...string) (plugin, sitePackages string) {
	t.Helper()
	sitePackages = filepath.Join(t.TempDir(), "venv", "lib", "python3.12", "site-packages")
	plugin = filepath.Join(sitePackages, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	if err := os.MkdirAll(filepath.Dir(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if err := os.MkdirAll(filepath.Join(sitePackages, "nvidia", l, "lib"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return plugin, sitePackages
}

func TestPlanFor(t *testing.T) {
	plugin, sp := fakeVenv(t, "cu13", "cudnn", "nccl", "nvshmem", "cusparselt")
	// A folder without lib/ is not a library folder.
	if err := os.MkdirAll(filepath.Join(sp, "nvidia", "headers_only", "include"), 0o755); err != nil {
		t.Fatal(err)
	}
	libs := []string{
		filepath.Join(sp, "nvidia/cu13/lib"), filepath.Join(sp, "nvidia/cudnn/lib"), filepath.Join(sp, "nvidia/cusparselt/lib"),
		filepath.Join(sp, "nvidia/nccl/lib"), filepath.Join(sp, "nvidia/nvshmem/lib"),
	}
	outside := filepath.Join(t.TempDir(), "plugins", "pjrt_c_api_cuda_plugin.so")
	tests := []struct {
		name    string
		spec    string
		env     []string
		set     []string // NAME=VALUE
		libDirs []string
		ldPath  string
	}{
		{"gofast in a clean env", "gofast", nil, []string{"GOMLX_NO_AUTO_INSTALL=1"}, nil, ""},
		{"user's auto-install kept", "auto", []string{EnvNoAutoInstall, "0"}, nil, nil, ""},
		{"xla:cpu", "xla:cpu", nil, []string{"GOMLX_NO_AUTO_INSTALL=1"}, nil, ""},
		{"xla:cuda by name", "xla:cuda", nil, []string{"GOMLX_NO_AUTO_INSTALL=1", "GOPJRT_CUDA_CHECKS=0"}, nil, ""},
		{"pip plugin", "xla:" + plugin, nil, []string{"GOMLX_NO_AUTO_INSTALL=1", "GOPJRT_CUDA_CHECKS=0"}, libs, strings.Join(libs, ":")},
		{"pip plugin, user's settings and path kept", "xla:" + plugin,
			[]string{EnvNoAutoInstall, "yes", EnvCUDAChecks, "1", EnvLibraryPath, "/usr/local/lib"},
			nil, libs, strings.Join(libs, ":") + ":/usr/local/lib"},
		{"pip plugin, path already has some", "xla:" + plugin,
			[]string{EnvLibraryPath, libs[0] + ":/x:" + libs[3], EnvNoAutoInstall, "1", EnvCUDAChecks, "0"},
			nil, libs, strings.Join([]string{libs[1], libs[2], libs[4], libs[0] + ":/x:" + libs[3]}, ":")},
		{"pip plugin, path complete", "xla:" + plugin,
			[]string{EnvLibraryPath, strings.Join(libs, ":"), EnvNoAutoInstall, "1", EnvCUDAChecks, "0"}, nil, libs, ""},
		{"plugin outside site-packages", "xla:" + outside, nil, []string{"GOMLX_NO_AUTO_INSTALL=1", "GOPJRT_CUDA_CHECKS=0"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			p := PlanFor(s, env(tt.env...))
			var set []string
			for _, v := range p.Set {
				set = append(set, v.Name+"="+v.Value)
			}
			if !reflect.DeepEqual(set, tt.set) {
				t.Errorf("Set = %v, want %v", set, tt.set)
			}
			if !reflect.DeepEqual(p.LibDirs, tt.libDirs) {
				t.Errorf("LibDirs = %v, want %v", p.LibDirs, tt.libDirs)
			}
			if p.LibraryPath != tt.ldPath || p.Restart() != (tt.ldPath != "") {
				t.Errorf("LibraryPath = %q, want %q", p.LibraryPath, tt.ldPath)
			}
			if p.Restart() {
				if !strings.Contains(p.Notice(), "before starting Jupyter") || !strings.HasSuffix(p.Notice(), "\n  export LD_LIBRARY_PATH="+tt.ldPath) ||
					!strings.HasSuffix(p.Exports(), "export LD_LIBRARY_PATH="+tt.ldPath+"\n") {
					t.Errorf("Notice/Exports:\n%s", p.Notice())
				}
			} else if p.Notice() != "" {
				t.Errorf("Notice = %q with nothing missing", p.Notice())
			}
		})
	}
}

func TestSitePackages(t *testing.T) {
	for in, want := range map[string]string{
		"/opt/v/lib/python3.12/site-packages/jax_plugins/xla_cuda13/p.so": "/opt/v/lib/python3.12/site-packages",
		"/usr/lib/python3/dist-packages/jax_plugins/p.so":                 "/usr/lib/python3/dist-packages",
		"/usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so":                 "",
	} {
		if got := SitePackages(in); got != want {
			t.Errorf("SitePackages(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestNeedsReexec(t *testing.T) {
	plugin, _ := fakeVenv(t, "cu13")
	s, _ := Parse("xla:" + plugin)
	p := PlanFor(s, env())
	if !NeedsReexec(p, env()) {
		t.Error("a missing library folder should need a re-execution")
	}
	if NeedsReexec(p, env(EnvReexec, "1")) {
		t.Error("the marker must prevent a second re-execution")
	}
	if NeedsReexec(Plan{}, env()) {
		t.Error("nothing missing: no re-execution")
	}
	if AutoInstall(env()) || AutoInstall(env(EnvNoAutoInstall, "1")) || !AutoInstall(env(EnvNoAutoInstall, "false")) {
		t.Error("AutoInstall: only an explicit 0/false/no allows downloads")
	}
}

func TestReadCPU(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	x86 := write("x86", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 106\nmodel name\t: Intel(R) Xeon(R)  Platinum 8480+\nflags\t\t: fpu avx512f\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R)  Platinum 8480+\n")
	arm := write("arm", "processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n\nModel\t\t: Raspberry Pi 4 Model B\n")
	for path, want := range map[string]string{x86: "Intel(R) Xeon(R) Platinum 8480+", arm: "Raspberry Pi 4 Model B", filepath.Join(dir, "none"): ""} {
		c := ReadCPU(path)
		if c.Model != want || c.CPUs < 1 || c.GOMAXPROCS < 1 {
			t.Errorf("ReadCPU(%s) = %+v, want model %q", filepath.Base(path), c, want)
		}
	}
	c := CPU{Model: "Intel(R) Xeon(R) Platinum 8480+", CPUs: 2, GOMAXPROCS: 2}
	if got, want := c.String(), `CPU "Intel(R) Xeon(R) Platinum 8480+", 2 CPUs, GOMAXPROCS 2`; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestGPUModels(t *testing.T) {
	dir := t.TempDir()
	for bus, model := range map[string]string{"0000:1a:00.0": "NVIDIA H200", "0000:9b:00.0": "NVIDIA H200"} {
		if err := os.MkdirAll(filepath.Join(dir, bus), 0o755); err != nil {
			t.Fatal(err)
		}
		info := "Model: \t\t " + model + "\nIRQ:   \t\t 10\nGPU UUID: \t GPU-1234\n"
		if err := os.WriteFile(filepath.Join(dir, bus, "information"), []byte(info), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := GPUModels(dir)
	if !reflect.DeepEqual(got, []string{"NVIDIA H200", "NVIDIA H200"}) {
		t.Errorf("GPUModels = %q", got)
	}
	if s := GPUSummary(got); s != "2 x NVIDIA H200" {
		t.Errorf("GPUSummary = %q", s)
	}
	if s := GPUSummary([]string{"NVIDIA H100", "NVIDIA A100"}); s != "NVIDIA H100, NVIDIA A100" {
		t.Errorf("GPUSummary = %q", s)
	}
	if GPUModels(filepath.Join(dir, "none")) != nil {
		t.Error("no driver: want nil")
	}
}

func TestReexecSet(t *testing.T) {
	if _, ok := ReexecSet(env()); ok {
		t.Error("no marker: not a re-execution")
	}
	vars, ok := ReexecSet(env(EnvReexec, "GOPJRT_CUDA_CHECKS,LD_LIBRARY_PATH", EnvCUDAChecks, "0", EnvLibraryPath, "/a:/b"))
	want := []Var{{Name: EnvCUDAChecks, Value: "0"}, {Name: EnvLibraryPath, Value: "/a:/b"}}
	if !ok || !reflect.DeepEqual(vars, want) {
		t.Errorf("ReexecSet = %v, %v; want %v", vars, ok, want)
	}
}
