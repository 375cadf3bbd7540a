// Command debiaser trains and compares image classifiers on imbalanced
// data: the same library the notebooks use, from a shell.
//
//	debiaser help                 list the commands
//	debiaser demo                 the README's main job on the embedded MNIST-LT
//	debiaser train --config c.json
//	debiaser rerun LOG.json       re-run the var_dict of a run log
//	debiaser summary DIR...       one row per run log, sorted by a metric
//	debiaser plot LOG.json...     charts of one run, or a comparison of many
//	debiaser search --spec s.json --dir D [--index I --count N | --collect]
//	debiaser study [--config base.json] [--dataset shapes-study] [--precision bfloat16]
//	debiaser bench [--torch anchors/torch_resnet18_bench.py]
//	debiaser kernels [--label ours,pytorch] [--wall-ms 10.21,10.80] PROFILE.csv...
//	debiaser backends [--backend SPEC]   what runs here, and why
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand: its one-line summary and its body.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"help":      {"list the commands, or show one command's flags", runHelp},
		"demo":      {"train the baseline and four methods on the embedded MNIST-LT and compare them", runDemo},
		"train":     {"train one run from a config file (var_dict JSON)", runTrain},
		"rerun":     {"re-run the var_dict of an existing run log", runRerun},
		"summary":   {"table of many run logs sorted by a metric (text, csv, markdown, html)", runSummary},
		"plot":      {"write the charts of one run log, or compare several, to a folder", runPlot},
		"posthoc":   {"post-hoc logit adjustment of run logs' best epochs: metrics against tau, nothing retrained", runPostHoc},
		"calibrate": {"temperature scaling of run logs' best epochs: T, NLL and ECE before and after (cross-fitted)", runCalibrate},
		"search":    {"grid search with stratified K-fold cross-validation, shardable", runSearch},
		"backends":  {"list the backends, what auto picks here and why, the environment and the device line", runBackends},
		"study":     {"train the study's baseline and 12 methods on one backend; table and wall time", runStudy},
		"bench":     {"time our training step, and PyTorch's beside it with --torch; print the ratio", runBench},
		"kernels":   {"GPU time per training step by kernel kind from ncu / PyTorch profiles, side by side", runKernels},
	}
}

// envCPUProfile names a file for a Go CPU profile of the whole command
// (go tool pprof reads it): where the host's time goes, and how much of it
// is spent waiting in the backend (cgo calls on XLA).
const envCPUProfile = "DEBIASER_CPUPROFILE"

// startProfile starts a CPU profile into path ("" does nothing) and returns
// what stops it; failures are reported on w and leave the command running.
func startProfile(path string, w io.Writer) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(w, "debiaser: %s: %v (no profile)\n", envCPUProfile, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(w, "debiaser: %s: %v (no profile)\n", envCPUProfile, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(w, "debiaser: %s: %v\n", envCPUProfile, err)
		}
	}
}

// usageError is a mistake on the command line: main prints the usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	// Ctrl-C, and SIGTERM (what Slurm and Kubernetes send before they kill
	// a job), stop a run after its current batch: its log is kept, marked
	// interrupted, and says how to continue.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := startProfile(os.Getenv(envCPUProfile), os.Stderr)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "debiaser:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "run 'debiaser help' for the commands")
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run dispatches to a command. Panics never reach the user as a Go trace:
// they become an error naming the command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 {
		return runHelp(ctx, nil, stdout, stderr)
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		return runHelp(ctx, args[1:], stdout, stderr)
	}
	cmd, ok := commands[name]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q (commands: %s)", name, strings.Join(commandNames(), ", "))}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error: %v", name, r)
		}
	}()
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 {
		if _, ok := commands[args[0]]; !ok {
			return usageError{fmt.Sprintf("unknown command %q", args[0])}
		}
		return run(ctx, []string{args[0], "-h"}, stdout, stderr)
	}
	fmt.Fprintln(stdout, "debiaser: train and compare image classifiers on imbalanced data\n\nUsage: debiaser COMMAND [flags]\n\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(stdout, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(stdout, "\nRun 'debiaser help COMMAND' for a command's flags.")
	return nil
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("debiaser "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Commands with arguments set their own usage line.
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: debiaser %s [flags]\n\n%s.\n\n", name, strings.ToUpper(commands[name].summary[:1])+commands[name].summary[1:])
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; -h is not an error.
func parse(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, usageError{err.Error()}
	}
	return false, nil
}
