//go:build unix

package notebooks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of the execution tests.
const (
	envRun         = "DEBIASER_NOTEBOOKS"        // "1": execute the notebooks (CI sets it)
	envProfile     = "DEBIASER_PROFILE"          // profile the notebooks run in; default quick
	envOut         = "DEBIASER_NOTEBOOKS_OUT"    // where executed notebooks, logs and timings.md go; default ../out/notebooks
	envJupyter     = "DEBIASER_JUPYTER"          // jupyter command; default /usr/bin/jupyter, else PATH
	envCellTimeout = "DEBIASER_NOTEBOOK_TIMEOUT" // seconds one cell may run; default 600
)

// runner executes notebooks with `jupyter nbconvert --execute` and the GoNB kernel.
type runner struct {
	jupyter     string
	env         []string
	outDir      string
	profile     string
	cellTimeout int
}

// newRunner skips the test unless DEBIASER_NOTEBOOKS=1, and fails it when
// that is set but Jupyter or the GoNB kernel is missing.
func newRunner(t *testing.T) *runner {
	t.Helper()
	if os.Getenv(envRun) != "1" {
		t.Skipf("notebooks not executed: set %s=1 after `bash .ci/install-notebooks.sh` (Jupyter + GoNB)", envRun)
	}
	r := &runner{profile: cmp.Or(os.Getenv(envProfile), "quick"), cellTimeout: 600}
	if s := os.Getenv(envCellTimeout); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a number of seconds > 0", envCellTimeout, s)
		}
		r.cellTimeout = n
	}
	r.jupyter = os.Getenv(envJupyter)
	if r.jupyter == "" {
		// Debian's jupyter: another python3 (pyenv) may come first on PATH.
		r.jupyter = "/usr/bin/jupyter"
		if _, err := os.Stat(r.jupyter); err != nil {
			r.jupyter = "jupyter"
		}
	}
	// The kernel inherits PATH: it needs go, gonb and goimports.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: the GoNB kernel needs it")
	}
	gobin := goEnv(t, goCmd, "GOBIN")
	if gobin == "" {
		gobin = filepath.Join(goEnv(t, goCmd, "GOPATH"), "bin")
	}
	path := strings.Join([]string{gobin, filepath.Dir(goCmd), os.Getenv("PATH")}, string(os.PathListSeparator))
	r.env = append(os.Environ(), "PATH="+path, envProfile+"="+r.profile, "GOMLX_NO_AUTO_INSTALL=1")
	for _, tool := range []string{"gonb", "goimports"} {
		if _, err := os.Stat(filepath.Join(gobin, tool)); err != nil {
			t.Fatalf("%s is not installed in %s: run bash .ci/install-notebooks.sh", tool, gobin)
		}
	}
	if err := r.checkKernel(); err != nil {
		t.Fatalf("%v: run bash .ci/install-notebooks.sh", err)
	}
	r.outDir, err = filepath.Abs(cmp.Or(os.Getenv(envOut), filepath.Join("..", "out", "notebooks")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(r.outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkKernel finds the GoNB kernel in Jupyter's data folders.
func (r *runner) checkKernel() error {
	out, err := r.command(context.Background(), "--paths", "--json").Output()
	if err != nil {
		return fmt.Errorf("%s --paths: %w", r.jupyter, err)
	}
	var paths struct{ Data []string }
	if err := json.Unmarshal(out, &paths); err != nil {
		return fmt.Errorf("%s --paths: %w", r.jupyter, err)
	}
	for _, dir := range paths.Data {
		if _, err := os.Stat(filepath.Join(dir, "kernels", "gonb", "kernel.json")); err == nil {
			return nil
		}
	}
	return fmt.Errorf("the GoNB kernel is not registered in any of %s's data folders %v", r.jupyter, paths.Data)
}

func goEnv(t *testing.T, goCmd, name string) string {
	t.Helper()
	out, err := exec.Command(goCmd, "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// command runs jupyter in its own process group, so that cancelling it also
// stops the kernel it started.
func (r *runner) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.jupyter, args...)
	cmd.Env = r.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// execute runs every cell of the notebook at path (errors do not stop it)
// and returns the executed notebook, also written to r.outDir with the
// kernel's log next to it.
func (r *runner) execute(t *testing.T, path string) (*notebook, time.Duration, error) {
	t.Helper()
	ctx := context.Background()
	if deadline, ok := t.Deadline(); ok {
		// Stop before `go test -timeout` does, so the failure names the notebook.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancel()
	}
	base := strings.TrimSuffix(filepath.Base(path), ".ipynb")
	executed := filepath.Join(r.outDir, base+".ipynb")
	logPath := filepath.Join(r.outDir, base+".log")
	if err := os.Remove(executed); err != nil && !os.IsNotExist(err) {
		return nil, 0, err
	}
	cmd := r.command(ctx, "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", r.cellTimeout),
		"--output-dir", r.outDir, path)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start)
	if err := os.WriteFile(logPath, log.Bytes(), 0o644); err != nil {
		return nil, elapsed, err
	}
	if runErr != nil {
		return nil, elapsed, fmt.Errorf("nbconvert %s: %v (log %s):\n%s", path, runErr, logPath, lastLines(log.String(), 30))
	}
	nb, err := readNotebook(executed)
	return nb, elapsed, err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestExecuteNotebooks executes every notebooks/*.ipynb in the quick profile
// (or DEBIASER_PROFILE) and fails on any error output or missing declared
// output. It logs each notebook's time and writes timings.md to the output
// folder.
func TestExecuteNotebooks(t *testing.T) {
	r := newRunner(t)
	type timing struct {
		name    string
		elapsed time.Duration
		result  string
	}
	var timings []timing
	var total time.Duration
	for _, path := range notebookFiles(t) {
		t.Run(path, func(t *testing.T) {
			nb, elapsed, err := r.execute(t, path)
			total += elapsed
			result := "ok"
			switch {
			case err != nil:
				result = "nbconvert failed"
				t.Error(err)
			default:
				for _, p := range checkExecuted(nb) {
					t.Errorf("%s: %s", path, p)
					result = "failed"
				}
			}
			timings = append(timings, timing{path, elapsed, result})
			t.Logf("%s: %.1f s, %s (profile %s; executed copy in %s)", path, elapsed.Seconds(), result, r.profile, r.outDir)
		})
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| notebook (profile %s) | seconds | result |\n|---|---:|---|\n", r.profile)
	for _, tm := range timings {
		fmt.Fprintf(&table, "| %s | %.1f | %s |\n", tm.name, tm.elapsed.Seconds(), tm.result)
	}
	fmt.Fprintf(&table, "| **total (%d notebooks)** | **%.1f** | |\n", len(timings), total.Seconds())
	t.Logf("notebook timings:\n%s", table.String())
	if err := os.WriteFile(filepath.Join(r.outDir, "timings.md"), []byte(table.String()), 0o644); err != nil {
		t.Error(err)
	}
}

// TestExecuteDetectsFailures executes a notebook whose cells fail in the
// ways a notebook can (nbconvert itself reports success for it) and checks
// that every failure, and only those, is reported.
func TestExecuteDetectsFailures(t *testing.T) {
	r := newRunner(t)
	nb, elapsed, err := r.execute(t, filepath.Join("testdata", "failing.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("testdata/failing.ipynb: %.1f s", elapsed.Seconds())
	want := []problem{
		{2, `stderr reports a failure ("panic:")`},
		{3, "error output ERROR"},
		{4, `stderr reports a failure ("exit status")`},
		{5, `stderr reports a failure ("exit status")`},
		{6, "expected output image/png is missing"},
	}
	got := checkExecuted(nb)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), got)
	}
	for i, p := range got {
		if p.Cell != want[i].Cell || !strings.Contains(p.Msg, want[i].Msg) {
			t.Errorf("problem %d = %q, want cell %d with %q", i, p, want[i].Cell, want[i].Msg)
		}
	}
}
