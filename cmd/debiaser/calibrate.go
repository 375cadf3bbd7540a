package main

import (
	"context"
	"fmt"
	"io"

	"github.com/debiaser/debiaser/plots"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

func runCalibrate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calibrate", stderr)
	format := fs.String("format", "text", "text, csv, markdown or html")
	plot := fs.String("plot", "", "also draw the reliability diagrams before and after scaling to this .png or .svg file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser calibrate [flags] DIR|LOG.json ...\n\n"+
			"Temperature scaling (Guo et al. 2017) of each run's best epoch: the temperature T that makes its\n"+
			"validation class probabilities softmax(log p / T) most likely, fitted on all of them (the T to\n"+
			"use on new data), and the validation NLL and top-label ECE as trained and after scaling. The\n"+
			"\"_scaled\" columns are cross-fitted: each half of the samples (alternately within each class) is\n"+
			"scaled by the T fitted on the other half. Predictions, and so accuracy, do not change.")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"calibrate needs at least one folder or log file"}
	}
	logs, err := readScoredLogs(fs.Args(), stderr)
	if err != nil {
		return err
	}
	t, err := runlog.TemperatureTable(logs)
	if err != nil {
		return err
	}
	return writeTableAndChart(t, *format, *plot, func() (*plots.Figure, error) { return plots.Temperature(logs) }, stdout, stderr)
}
