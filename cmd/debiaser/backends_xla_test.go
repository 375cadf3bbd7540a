//go:build xla

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/toolkit/device"
)

// The CLI built with -tags xla and a plugin inside a pip tree whose CUDA
// libraries are not on LD_LIBRARY_PATH: it re-executes itself once with
// them, the marker stops a second time, and the run then fails with an
// error naming the plugin, not a panic.
func TestReexecWithPipPlugin(t *testing.T) {
	cleanBackendEnv(t)
	t.Setenv(device.EnvLibraryPath, "/usr/lib/x")
	bin := filepath.Join(t.TempDir(), "debiaser")
	if out, err := exec.Command("go", "build", "-tags", "xla", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags xla: %v\n%s", err, out)
	}
	plugin, sp := fakePipPlugin(t)
	ld := filepath.Join(sp, "nvidia/cu13/lib") + ":" + filepath.Join(sp, "nvidia/cudnn/lib") + ":/usr/lib/x"
	cfg := tinyConfig(tinyFolder(t))
	cfg["backend"] = "xla:" + plugin
	cfgPath := writeJSON(t, cfg)

	run := func(env ...string) (stdout, stderr string, code int) {
		c := exec.Command(bin, "train", "--quiet", "--logdir", t.TempDir(), "--config", cfgPath)
		c.Env = append(os.Environ(), env...)
		var o, e strings.Builder
		c.Stdout, c.Stderr = &o, &e
		err := c.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}
	cannotLoad := `debiaser: backend "xla:` + plugin + `": cannot load PJRT plugin ` + plugin + ": "

	_, stderr, code := run()
	t.Logf("stderr:\n%s", stderr)
	if n := strings.Count(stderr, "debiaser: restarting with LD_LIBRARY_PATH="+ld+" "); n != 1 {
		t.Errorf("%d restarts, want exactly 1", n)
	}
	if code != 1 || !strings.Contains(stderr, cannotLoad) {
		t.Errorf("exit %d, want 1 and %q", code, cannotLoad)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Error("a panic reached the user")
	}
	// After the restart LD_LIBRARY_PATH is right: no advice to export it.
	if strings.Contains(stderr, "export LD_LIBRARY_PATH") {
		t.Error("the restarted process still lacked the library folders")
	}

	// A process that is already a re-execution never restarts: it fails
	// with what to export.
	_, stderr, code = run(device.EnvReexec + "=LD_LIBRARY_PATH")
	if strings.Contains(stderr, "restarting") {
		t.Errorf("restarted despite the marker:\n%s", stderr)
	}
	if code != 1 || !strings.Contains(stderr, cannotLoad) || !strings.Contains(stderr, "\n  export LD_LIBRARY_PATH="+ld+"\n") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}

	// debiaser backends reports the restart and what it set.
	c := exec.Command(bin, "backends", "--backend", "xla:"+plugin)
	out, _ := c.Output()
	for _, s := range []string{"  restarted once by debiaser, which set:\n", "    GOPJRT_CUDA_CHECKS=0\n", "    LD_LIBRARY_PATH=" + ld + "\n",
		"device: none, the backend did not start: backend \"xla:" + plugin + "\": cannot load PJRT plugin " + plugin} {
		if !strings.Contains(string(out), s) {
			t.Errorf("backends: no %q in\n%s", s, out)
		}
	}
}
