package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

var cli struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildCLI builds this command once per test process (a plain build) and
// returns the binary's path.
func buildCLI(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		if cli.dir, cli.err = os.MkdirTemp("", "debiaser-cli-"); cli.err != nil {
			return
		}
		cli.path = filepath.Join(cli.dir, "debiaser")
		if out, err := exec.Command("go", "build", "-o", cli.path, ".").CombinedOutput(); err != nil {
			cli.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	return cli.path
}

// TestMain removes buildCLI's binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if cli.dir != "" {
		os.RemoveAll(cli.dir)
	}
	os.Exit(code)
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, err := runCLI(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for name := range commands {
		if !strings.Contains(out, "  "+name) {
			t.Errorf("help does not list %q:\n%s", name, out)
		}
	}
	for _, flag := range []string{"-h", "-help", "--help"} {
		if got, _, err := runCLI(t, flag); err != nil || got != out {
			t.Errorf("debiaser %s: err = %v, output differs from help's: %q", flag, err, got)
		}
	}
	for name := range commands {
		if name == "help" {
			continue
		}
		_, usage, err := runCLI(t, name, "-h")
		if err != nil || !strings.HasPrefix(usage, "usage: debiaser "+name+" ") {
			t.Errorf("debiaser %s -h: err = %v, want a usage line first:\n%s", name, err, usage)
		}
	}
	if _, _, err := runCLI(t, "tarin"); err == nil || !strings.Contains(err.Error(), `unknown command "tarin"`) {
		t.Errorf("unknown command: err = %v", err)
	}
}

// tinyFolder writes the generated shapes dataset as an image folder.
func tinyFolder(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shapes")
	if err := datasets.WriteImageFolder(datasets.Tiny(1), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cfg.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadConfigNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"unknown key", map[string]any{"learnig_rate": 0.1}, `unknown key "learnig_rate"`},
		{"wrong type", map[string]any{"epochs": "ten"}, `"epochs"`},
		{"float for int", map[string]any{"batch_size": 32.5}, `"batch_size"`},
		{"out of range", map[string]any{"beta": 1.5}, `"beta"`},
		{"unknown sampler", map[string]any{"sampling_strategy": "smote"}, `"sampling_strategy"`},
		{"missing data folder", map[string]any{"train_path": "/nonexistent/flowers", "valid_fraction": 0.25,
			"model_name": "small_cnn", "pretrained": false, "image_size": 16}, "/nonexistent/flowers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, "train", "--quiet", "--logdir", t.TempDir(), "--config", writeJSON(t, tt.cfg))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "goroutine") {
				t.Errorf("a Go trace reached the user: %v", err)
			}
		})
	}
}

func tinyConfig(folder string) map[string]any {
	return map[string]any{
		"train_path": folder, "valid_fraction": 0.25, "image_size": 16, "batch_size": 8,
		"model_name": "small_cnn", "pretrained": false, "full": true, "rotate": false,
		"learning_rate": 0.001, "epochs": 2, "backend": "gofast",
	}
}

func TestTrainRerunSummaryPlot(t *testing.T) {
	logs := t.TempDir()
	cfg := writeJSON(t, tinyConfig(tinyFolder(t)))
	out, _, err := runCLI(t, "train", "--quiet", "--logdir", logs, "--note", "first", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "run log: ") || !strings.Contains(out, "best epoch") {
		t.Fatalf("train printed:\n%s", out)
	}
	first := strings.TrimSpace(strings.TrimPrefix(strings.Split(out, "\n")[0], "run log: "))
	if l, err := runlog.Read(first); err != nil {
		t.Fatal(err)
	} else if want := fmt.Sprintf("best epoch %d/2 (%d in the log, which counts from 0): valid loss %.4f,", l.Run.BestEpoch+1, l.Run.BestEpoch, l.Results.ValidLoss[l.Run.BestEpoch]); !strings.Contains(out, want) {
		t.Errorf("train printed:\n%s\nwant a line with %q", out, want)
	}
	out, _, err = runCLI(t, "rerun", "--quiet", "--logdir", logs, "--note", "second", first)
	if err != nil {
		t.Fatal(err)
	}
	second := strings.TrimSpace(strings.TrimPrefix(strings.Split(out, "\n")[0], "run log: "))
	a, err := runlog.Read(first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := runlog.Read(second)
	if err != nil {
		t.Fatal(err)
	}
	if a.Results.ValidLoss[1] != b.Results.ValidLoss[1] {
		t.Errorf("rerun of the log's var_dict gave valid loss %v, the first run %v", b.Results.ValidLoss, a.Results.ValidLoss)
	}

	out, _, err = runCLI(t, "summary", "--format", "csv", "--columns", "note,valid_accuracy,epoch", logs)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "note,valid_accuracy,epoch") {
		t.Errorf("summary csv:\n%s", out)
	}

	plotDir := t.TempDir()
	out, _, err = runCLI(t, "plot", "--out", plotDir, first)
	if err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(plotDir, "*.png"))
	if len(pngs) < 5 || len(strings.Fields(out)) != len(pngs) {
		t.Errorf("plot wrote %d PNGs, printed:\n%s", len(pngs), out)
	}
	out, _, err = runCLI(t, "plot", "--out", filepath.Join(plotDir, "many"), first, second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, ".png") {
		t.Errorf("plot of two runs printed:\n%s", out)
	}

	chart := filepath.Join(plotDir, "posthoc.svg")
	out, _, err = runCLI(t, "posthoc", "--format", "csv", "--tau", "0,1", "--plot", chart, first)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "note,tau,valid_accuracy,valid_balanced_accuracy") ||
		!strings.HasPrefix(lines[1], "first,0,") || !strings.HasPrefix(lines[2], "first,1,") {
		t.Errorf("posthoc csv:\n%s", out)
	}
	// tau 0 is the run as trained: its accuracy at the best epoch.
	if want := fmt.Sprintf("first,0,%v,", a.Results.ValidAccuracy[a.Run.BestEpoch]); len(lines) > 1 && !strings.HasPrefix(lines[1], want) {
		t.Errorf("posthoc tau 0 row %q, want it to start %q", lines[1], want)
	}
	if fi, err := os.Stat(chart); err != nil || fi.Size() < 1000 {
		t.Errorf("posthoc chart: %v", err)
	}
	if _, stderr, err := runCLI(t, "posthoc", "--tau", "1,-2", first); err == nil || !strings.Contains(stderr+err.Error(), "-2") {
		t.Errorf("posthoc --tau -2: err %v, stderr %q", err, stderr)
	}

	chart = filepath.Join(plotDir, "temperature.png")
	out, _, err = runCLI(t, "calibrate", "--format", "csv", "--plot", chart, first, second)
	if err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "note,temperature,valid_nll,valid_nll_scaled,valid_ece,valid_ece_scaled" ||
		!strings.HasPrefix(lines[1], "first,") || !strings.HasPrefix(lines[2], "second,") {
		t.Errorf("calibrate csv:\n%s", out)
	}
	// valid_ece as trained is the log's own valid_ece.
	ece, err := a.Series(runlog.MetricECE)
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Split(lines[1], ","); len(f) != 6 || f[4] != strconv.FormatFloat(ece[a.Run.BestEpoch], 'g', -1, 64) {
		t.Errorf("calibrate row %q: valid_ece, want %v", lines[1], ece[a.Run.BestEpoch])
	}
	if fi, err := os.Stat(chart); err != nil || fi.Size() < 1000 {
		t.Errorf("calibrate chart: %v", err)
	}
	if _, _, err := runCLI(t, "calibrate"); err == nil || !strings.Contains(err.Error(), "at least one") {
		t.Errorf("calibrate without logs: err %v", err)
	}
	// A log without class probabilities (the study's own format) is skipped
	// with a warning; only such logs is an error naming the file.
	study, err := os.ReadFile(filepath.Join("..", "..", "plots", "testdata", "study_layout.json"))
	if err != nil {
		t.Fatal(err)
	}
	mixed := t.TempDir()
	if err := os.WriteFile(filepath.Join(mixed, "study.json"), study, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"calibrate", "posthoc"} {
		out, stderr, err := runCLI(t, cmd, "--format", "csv", first, mixed)
		if err != nil || len(strings.Split(strings.TrimSpace(out), "\n")) < 2 || !strings.Contains(stderr, "warning: skipped:") || !strings.Contains(stderr, "study.json") {
			t.Errorf("%s of a scored and a study log: err %v, stdout\n%s\nstderr\n%s", cmd, err, out, stderr)
		}
		if _, _, err := runCLI(t, cmd, mixed); !errors.Is(err, runlog.ErrNoScores) || !strings.Contains(err.Error(), "study.json") {
			t.Errorf("%s of a study log only: err %v, want ErrNoScores naming it", cmd, err)
		}
	}
}

// A grid searched by three separate processes (--index 0..2) and then
// collected gives exactly the table of one process.
func TestSearchSharedOverProcessesMatchesOneProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and trains 8 small runs")
	}
	bin := buildCLI(t)
	base := tinyConfig(tinyFolder(t))
	base["epochs"] = 1
	spec := writeJSON(t, map[string]any{
		"base": base,
		"grid": map[string]any{"reg_strategy": []string{"maxnorm"}, "thresh": []float64{0.3, 2}, "learning_rate": []float64{0.001, 0.01}},
		"k":    2, "seed": 3, "best_by": "recall_inverse_weighted",
	})
	one := t.TempDir()
	want, err := exec.Command(bin, "search", "--quiet", "--spec", spec, "--dir", one, "--format", "json").Output()
	if err != nil {
		t.Fatalf("one process: %v", err)
	}
	many := t.TempDir()
	var cmds []*exec.Cmd
	for i := 0; i < 3; i++ {
		c := exec.Command(bin, "search", "--quiet", "--spec", spec, "--dir", many, "--index", []string{"0", "1", "2"}[i], "--count", "3")
		var e bytes.Buffer
		c.Stderr = &e
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
		defer func() {
			if t.Failed() {
				t.Logf("share %d stderr:\n%s", i, e.String())
			}
		}()
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("share %d: %v", i, err)
		}
	}
	got, err := exec.Command(bin, "search", "--dir", many, "--collect", "--format", "json").Output()
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("three processes collected:\n%s\none process:\n%s", got, want)
	}
	// --parallel runs the shares as local processes and collects them.
	par, err := exec.Command(bin, "search", "--spec", spec, "--dir", t.TempDir(), "--parallel", "2", "--format", "json").Output()
	if err != nil {
		t.Fatalf("--parallel: %v", err)
	}
	if !bytes.Equal(par, want) {
		t.Errorf("--parallel 2 gave:\n%s\none process:\n%s", par, want)
	}
	// Rerunning a finished search trains nothing.
	c := exec.Command(bin, "search", "--spec", spec, "--dir", one, "--quiet")
	var e bytes.Buffer
	c.Stderr = &e
	if err := c.Run(); err != nil || !strings.Contains(e.String(), "ran 0 trials, skipped 8") {
		t.Errorf("rerun: %v\n%s", err, e.String())
	}
}

// The README's main job, end to end, with one epoch per run.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("trains five runs on MNIST-LT")
	}
	dir := t.TempDir()
	out, _, err := runCLI(t, "demo", "--quiet", "--epochs", "1", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := runlog.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != len(demoMethods) {
		t.Fatalf("%d logs, want %d", len(logs), len(demoMethods))
	}
	for _, m := range demoMethods {
		if !strings.Contains(out, "\n"+m.note+" ") {
			t.Errorf("the table has no row %q:\n%s", m.note, out)
		}
	}
	// The post-hoc line is the baseline log's runlog.PostHoc at tau 1.
	for _, l := range logs {
		if l.Note != "baseline" {
			continue
		}
		adj, err := runlog.PostHoc(l, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("balanced accuracy %.4f, accuracy %.4f", adj.BalancedAccuracy, adj.Accuracy); !strings.Contains(out, want) {
			t.Errorf("demo output lacks the post-hoc line %q:\n%s", want, out)
		}
	}
	t.Logf("demo output:\n%s", out)
}

func TestTrainNoteIsConfigName(t *testing.T) {
	logs := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "flowers.lt.json")
	data, err := json.Marshal(tinyConfig(tinyFolder(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "train", "--quiet", "--logdir", logs, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimSpace(strings.TrimPrefix(strings.Split(out, "\n")[0], "run log: "))
	l, err := runlog.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Note != "flowers.lt" || !strings.HasPrefix(filepath.Base(path), "flowers.lt-") {
		t.Errorf("note %q, log %s: want the config file's name without its folder and .json", l.Note, path)
	}
}

// SIGTERM (what Slurm and Kubernetes send before killing a job) stops a
// run as Ctrl-C does: the log is kept, marked interrupted, with its
// finished epochs, and the error says how to continue.
func TestSIGTERMKeepsInterruptedLog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on Windows")
	}
	bin := buildCLI(t)
	cfg := tinyConfig(tinyFolder(t))
	cfg["epochs"] = 2000
	logs := t.TempDir()
	c := exec.Command(bin, "train", "--logdir", logs, "--checkpoints", "--config", writeJSON(t, cfg))
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	c.Stdout = &stdout
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	sc := bufio.NewScanner(stderr)
	for sc.Scan() { // the first finished epoch, then the signal
		if strings.HasPrefix(strings.TrimLeft(sc.Text(), "\r"), "epoch 1/2000 ") {
			if err := c.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	io.Copy(&rest, stderr)
	err = c.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(rest.String(), "interrupted after") || !strings.Contains(rest.String(), "rerun --resume") {
		t.Fatalf("exit %v, stderr after the signal:\n%s", err, rest.String())
	}
	path := strings.TrimSpace(strings.TrimPrefix(strings.Split(stdout.String(), "\n")[0], "run log: "))
	l, err := runlog.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Run.Status != runlog.StatusInterrupted || l.Run.EpochsDone < 1 || l.Run.EpochsDone >= 2000 {
		t.Errorf("log status %q with %d epochs done", l.Run.Status, l.Run.EpochsDone)
	}
}

// An interrupted search says what it kept and how to continue.
func TestSearchInterrupted(t *testing.T) {
	spec := writeJSON(t, map[string]any{"base": tinyConfig(tinyFolder(t)), "grid": map[string]any{"learning_rate": []float64{0.001, 0.01}}, "k": 2})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	var o, e bytes.Buffer
	err := run(ctx, []string{"search", "--quiet", "--spec", spec, "--dir", dir}, &o, &e)
	if err == nil || !strings.Contains(err.Error(), "interrupted: share 0 of 1 finished 0 trials") || !strings.Contains(err.Error(), "run the same command again") {
		t.Errorf("err = %v", err)
	}
}

// An interrupted study says what it kept and how to continue.
func TestStudyInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	err := run(ctx, []string{"study", "--dataset", "shapes-study", "--model", "small_cnn", "--pretrained", "false", "--image-size", "16", "--epochs", "1", "--methods", "baseline,focal", "--logdir", t.TempDir()}, &o, &e)
	if err == nil || !strings.Contains(err.Error(), "interrupted with 0 methods finished") || !strings.Contains(err.Error(), "run the same command again") {
		t.Errorf("err = %v\n%s", err, e.String())
	}
}
