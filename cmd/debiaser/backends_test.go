package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/device"
)

// cleanBackendEnv unsets what the backend selection reads or sets; the
// values come back after the test.
func cleanBackendEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{device.EnvBackend, device.EnvNoAutoInstall, device.EnvCUDAChecks, device.EnvReexec} {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

// fakePipPlugin makes JAX's layout with a file that is no plugin:
// site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so and
// site-packages/nvidia/{cu13,cudnn}/lib.
func fakePipPlugin(t *testing.T) (plugin, sitePackages string) {
	t.Helper()
	sitePackages = filepath.Join(t.TempDir(), "venv", "lib", "python3.12", "site-packages")
	plugin = filepath.Join(sitePackages, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	for _, d := range []string{filepath.Dir(plugin), filepath.Join(sitePackages, "nvidia", "cu13", "lib"), filepath.Join(sitePackages, "nvidia", "cudnn", "lib")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(plugin, []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	return plugin, sitePackages
}

func TestBackendsCommand(t *testing.T) {
	cleanBackendEnv(t)
	out, _, err := runCLI(t, "backends")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("debiaser backends:\n%s", out)
	want := []string{
		`(?m)^backends in this program: .*\bgofast\b`,
		`(?m)^spec: auto \(default; precedence: --backend, then the config key "backend", then GOMLX_BACKEND, then auto\)$`,
		`(?m)^  GOMLX_NO_AUTO_INSTALL=1  \(never download PJRT plugins; set it to 0 to allow\)$`,
		`(?m)^device: CPU "[^"]+", \d+ CPUs, GOMAXPROCS \d+; gofast: im2col convolutions, GEMM: .+$`,
	}
	if slices.Contains(backends.List(), "xla") {
		want = append(want, `(?m)^auto picks: (gofast \(XLA linked, no PJRT plugin started: .*\)|xla:\S+ \(XLA linked, PJRT plugin started\))$`)
	} else {
		want = append(want, `(?m)^auto picks: gofast \(XLA not linked; build with -tags xla\)$`,
			`; XLA: not linked \(build with -tags xla to get it\)\n`)
	}
	for _, re := range want {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s", re)
		}
	}

	// GOMLX_BACKEND is the fallback, and the user's own settings are kept.
	t.Setenv(device.EnvBackend, "go")
	t.Setenv(device.EnvNoAutoInstall, "1")
	out, _, err = runCLI(t, "backends")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"spec: go (GOMLX_BACKEND;", "  nothing (the user's settings are kept)\n", "; go: Simple Go Portable Backend\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("with GOMLX_BACKEND=go: no %q in\n%s", s, out)
		}
	}
}

// A pip-installed plugin: the report lists the environment it needs. In a
// build without XLA, it says how to get it instead of starting anything.
func TestBackendsCommandPipPlugin(t *testing.T) {
	if slices.Contains(backends.List(), "xla") {
		t.Skip("XLA is linked: TestReexecWithPipPlugin covers this build")
	}
	cleanBackendEnv(t)
	t.Setenv(device.EnvLibraryPath, "/usr/lib/x")
	plugin, sp := fakePipPlugin(t)
	out, _, err := runCLI(t, "backends", "--backend", "xla:"+plugin)
	if err == nil || !strings.Contains(err.Error(), "build with -tags xla") {
		t.Errorf("err = %v", err)
	}
	t.Logf("debiaser backends --backend xla:%s\n%s", plugin, out)
	ld := filepath.Join(sp, "nvidia/cu13/lib") + ":" + filepath.Join(sp, "nvidia/cudnn/lib") + ":/usr/lib/x"
	for _, s := range []string{
		"spec: xla:" + plugin + " (--backend;",
		"  GOPJRT_CUDA_CHECKS=0  (go-xla's CUDA layout check would set a wrong XLA_FLAGS)\n",
		"  LD_LIBRARY_PATH=" + ld + "  (the plugin's CUDA libraries; the CLI restarts itself once with it)\n",
		`device: none, the spec cannot run here: config: field "backend": "xla:` + plugin + `" needs GoMLX's XLA backend, which this program does not link: build with -tags xla`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("no %q in\n%s", s, out)
		}
	}
}

// --exports prints only the shell lines of the spec's environment and
// starts nothing (no restart, no plugin), in any build: a shell that evals
// them starts programs that need no restart (a profiler, Jupyter).
func TestBackendsExports(t *testing.T) {
	cleanBackendEnv(t)
	t.Setenv(device.EnvLibraryPath, "/usr/lib/x")
	plugin, sp := fakePipPlugin(t)
	out, _, err := runCLI(t, "backends", "--backend", "xla:"+plugin, "--exports")
	if err != nil {
		t.Fatal(err)
	}
	ld := filepath.Join(sp, "nvidia/cu13/lib") + ":" + filepath.Join(sp, "nvidia/cudnn/lib") + ":/usr/lib/x"
	want := "export GOMLX_NO_AUTO_INSTALL=1\nexport GOPJRT_CUDA_CHECKS=0\nexport LD_LIBRARY_PATH=" + ld + "\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	// The user's settings are kept, and a plain spec needs only the first line.
	t.Setenv(device.EnvNoAutoInstall, "0")
	if out, _, err = runCLI(t, "backends", "--backend", "go", "--exports"); err != nil || out != "" {
		t.Errorf("go with GOMLX_NO_AUTO_INSTALL=0: %q, %v", out, err)
	}
	if _, _, err = runCLI(t, "backends", "--backend", "nonsense", "--exports"); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("a bad spec: err = %v", err)
	}
}

// A bad --backend fails before any data is loaded, naming the field.
func TestTrainBadBackend(t *testing.T) {
	cleanBackendEnv(t)
	cfg := writeJSON(t, map[string]any{"train_path": "/nonexistent/flowers"})
	for spec, want := range map[string]string{
		"cuda":           `config: field "backend": unknown backend "cuda": use auto, gofast, go, xla:cpu, xla:cuda or xla:/abs/path/to/plugin.so`,
		"xla:/no/p.so":   `config: field "backend": `,
		"gofast:emulate": "/nonexistent/flowers", // a good spec: the data is the next error
	} {
		_, _, err := runCLI(t, "train", "--quiet", "--config", cfg, "--backend", spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--backend %s: err = %v, want %q", spec, err, want)
		}
	}
}
