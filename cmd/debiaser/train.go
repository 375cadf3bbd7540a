package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/config"
)

// runFlags are the flags every training command shares.
type runFlags struct {
	logDir, note, backend string
	quiet, checkpoints    bool
}

func (r *runFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&r.logDir, "logdir", "runs", "folder for the run logs")
	fs.StringVar(&r.note, "note", "", "the log's note (default: the config file's name or the log's note)")
	fs.StringVar(&r.backend, "backend", "", backendUsage)
	fs.BoolVar(&r.quiet, "quiet", false, "no progress lines")
	fs.BoolVar(&r.checkpoints, "checkpoints", false, "keep a checkpoint after every epoch so the run can be resumed")
}

func (r *runFlags) apply(e *toolkit.Experiment, stderr io.Writer) *toolkit.Experiment {
	e = e.LogDir(r.logDir).Checkpoints(r.checkpoints)
	if r.note != "" {
		e = e.Note(r.note)
	}
	if r.backend != "" {
		e = e.Backend(r.backend)
	}
	if !r.quiet {
		e = e.Verbose(stderr)
	}
	return e
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	cfgPath := fs.String("config", "", "config file: a JSON object with var_dict keys (unset keys take the study's defaults)")
	var rf runFlags
	rf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser train --config cfg.json [flags]")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{"train needs --config"}
	}
	cfg, err := readConfig(*cfgPath)
	if err != nil {
		return err
	}
	// The note (and so the log's file name) is the config file's name:
	// "runs/fl-DATE.json" for --config /tmp/fl.json.
	e := toolkit.FromConfig(cfg).Note(strings.TrimSuffix(filepath.Base(*cfgPath), filepath.Ext(*cfgPath)))
	return runOne(ctx, rf.apply(e, stderr), stdout, stderr)
}

func runRerun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rerun", stderr)
	var rf runFlags
	rf.register(fs)
	resume := fs.Bool("resume", false, "continue this interrupted run from its checkpoint instead of starting again")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser rerun [flags] LOG.json")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"rerun needs exactly one run log"}
	}
	e, err := toolkit.FromLog(fs.Arg(0))
	if err != nil {
		return err
	}
	e = rf.apply(e, stderr)
	if *resume {
		e = e.LogPath(fs.Arg(0)).Resume()
	}
	return runOne(ctx, e, stdout, stderr)
}

func runOne(ctx context.Context, e *toolkit.Experiment, stdout, stderr io.Writer) error {
	cfg, err := e.Config()
	if err != nil {
		return err
	}
	if err := prepareBackend(cfg.Backend, stderr); err != nil {
		return err
	}
	res, err := e.Run(ctx)
	if res != nil && res.LogPath != "" {
		if _, serr := os.Stat(res.LogPath); serr == nil { // not when it could not be written
			fmt.Fprintf(stdout, "run log: %s\n", res.LogPath)
		}
	}
	if errors.Is(err, context.Canceled) && res != nil && res.Log != nil && res.LogPath != "" {
		how := "debiaser rerun " + res.LogPath + " (no checkpoints were kept: it starts again)"
		if res.Log.Run.Checkpoint != "" {
			how = "debiaser rerun --resume " + res.LogPath
		}
		return fmt.Errorf("interrupted after %d finished epochs, kept in %s; continue with: %s", res.Log.Run.EpochsDone, res.LogPath, how)
	}
	if err != nil {
		return err
	}
	l := res.Log
	b := l.Run.BestEpoch
	// The progress lines count epochs from 1, the log (its "y" keys, the
	// charts' axes, summary's epoch column) from 0, as the study's did.
	by := ""
	if l.Run.BestBy != "" && l.Run.BestBy != "valid_loss" {
		by = " by " + l.Run.BestBy
	}
	fmt.Fprintf(stdout, "best epoch%s %d/%d (%d in the log, which counts from 0): valid loss %.4f, valid accuracy %.4f, balanced accuracy %.4f\n",
		by, b+1, len(l.Results.ValidLoss), b, l.Results.ValidLoss[b], l.Results.ValidAccuracy[b], l.Results.ValidBalancedAccuracy[b])
	return nil
}

// readConfig reads a config file strictly: an unknown key or a value of
// the wrong type is an error naming the key; unset keys keep the defaults.
func readConfig(path string) (config.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return config.Config{}, err
	}
	cfg := config.Defaults()
	if _, err := config.Decode(b, &cfg, true); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
