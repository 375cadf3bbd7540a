package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/debiaser/debiaser/plots"
)

func runPlot(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", stderr)
	out := fs.String("out", "plots", "folder to write the charts to")
	format := fs.String("format", "png", "png, svg or pdf")
	baseline := fs.String("baseline", "", "note of the baseline run (many runs; default: the run noted \"baseline\")")
	metrics := fs.String("metrics", "", "comma-separated metrics for the method bars (many runs)")
	cv := fs.String("cv", "", "comma-separated var_dict keys to group cross-validation runs by ('*': every key that differs)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser plot [flags] LOG.json | DIR|LOG.json ...\n\nOne log: every chart of that run. Several logs (or a folder): the comparison charts.")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"plot needs run logs"}
	}
	logs, err := readLogs(fs.Args(), stderr)
	if err != nil {
		return err
	}
	var written []string
	if len(logs) == 1 {
		written, err = plots.SaveAll(logs[0], *out, *format)
	} else {
		opt := plots.RunsOptions{Baseline: *baseline}
		if *metrics != "" {
			opt.Metrics = strings.Split(*metrics, ",")
		}
		if *cv != "" {
			opt.CVParams = strings.Split(*cv, ",")
		}
		written, err = plots.SaveAllRuns(logs, *out, *format, opt)
	}
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	return err
}
