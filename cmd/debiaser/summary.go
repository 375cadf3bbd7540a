package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/debiaser/debiaser/plots"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

func runSummary(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", stderr)
	sortBy := fs.String("sort", "valid_accuracy", "metric to sort by, best first (losses ascending)")
	columns := fs.String("columns", "", "comma-separated columns: metrics (valid_recall:minority, ...), var_dict keys, note, epoch...; empty: the study's table")
	format := fs.String("format", "text", "text, csv, markdown or html")
	last := fs.Bool("last", false, "report the last epoch instead of each run's best")
	baseline := fs.String("baseline", "", "note or file of the baseline run: report change in points against it")
	meanOver := fs.String("mean-over", "", "comma-separated var_dict keys (e.g. seed): one row per group of runs that differ only in them, metrics as mean ± std")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser summary [flags] DIR|LOG.json ...")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"summary needs at least one folder or log file"}
	}
	logs, err := readLogs(fs.Args(), stderr)
	if err != nil {
		return err
	}
	opts := runlog.SummaryOptions{SortBy: *sortBy, Last: *last}
	if *columns != "" {
		opts.Columns = strings.Split(*columns, ",")
	}
	if *meanOver != "" {
		opts.MeanOver = strings.Split(*meanOver, ",")
	}
	t, err := runlog.Summarize(logs, opts)
	if err != nil {
		return err
	}
	if *baseline != "" {
		if t, err = runlog.CompareToBaseline(t, *baseline); err != nil {
			return err
		}
	}
	return t.Write(stdout, *format)
}

// readLogs reads log files (an unreadable one is an error naming it) and
// every log under folders.
// Under folders, files that are not run logs (a search manifest, a broken
// log) are reported on warn and skipped.
func readLogs(paths []string, warn io.Writer) ([]*runlog.Log, error) {
	var logs []*runlog.Log
	for _, p := range paths {
		if strings.HasSuffix(p, ".json") {
			l, err := runlog.Read(p)
			if err != nil {
				return nil, err
			}
			logs = append(logs, l)
			continue
		}
		ls, err := runlog.ReadDir(p)
		if err != nil {
			if len(ls) == 0 {
				return nil, err
			}
			fmt.Fprintf(warn, "warning: skipped: %v\n", err)
		}
		logs = append(logs, ls...)
	}
	if len(logs) == 0 {
		return nil, fmt.Errorf("no run logs in %s", strings.Join(paths, ", "))
	}
	return logs, nil
}

// readScoredLogs is readLogs keeping the logs that hold their best
// epoch's class probabilities (what posthoc and calibrate read); each
// other one is reported on warn: a folder may hold the study's own logs or
// runs interrupted before their first epoch. None left is an error naming
// the first.
func readScoredLogs(paths []string, warn io.Writer) ([]*runlog.Log, error) {
	logs, err := readLogs(paths, warn)
	if err != nil {
		return nil, err
	}
	var kept []*runlog.Log
	var first error
	for _, l := range logs {
		if _, _, err := l.BestValidScores(); errors.Is(err, runlog.ErrNoScores) {
			fmt.Fprintf(warn, "warning: skipped: %v\n", err)
			first = cmp.Or(first, err)
			continue
		}
		kept = append(kept, l)
	}
	if len(kept) == 0 {
		return nil, first
	}
	return kept, nil
}

// writeTableAndChart writes t to stdout in format and, when path is not
// "", the figure that chart draws to path (.png, .svg or .pdf), naming it
// on stderr.
func writeTableAndChart(t *runlog.Table, format, path string, chart func() (*plots.Figure, error), stdout, stderr io.Writer) error {
	if err := t.Write(stdout, format); err != nil {
		return err
	}
	if path == "" {
		return nil
	}
	fig, err := chart()
	if err != nil {
		return err
	}
	if err := plots.Save(fig, path); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "chart: %s\n", path)
	return nil
}
