package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/debiaser/debiaser/plots"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

func runPostHoc(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("posthoc", stderr)
	tauList := fs.String("tau", "0,0.5,1,1.5,2", "comma-separated adjustment strengths tau (>= 0); 0 is the run as trained")
	format := fs.String("format", "text", "text, csv, markdown or html")
	plot := fs.String("plot", "", "also draw balanced accuracy and accuracy against tau to this .png or .svg file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser posthoc [flags] DIR|LOG.json ...\n\n"+
			"Post-hoc logit adjustment (Menon et al. 2021) of each run's best epoch: its validation class\n"+
			"probabilities re-weighted by the training prior to the power -tau, each sample predicted as the\n"+
			"largest; nothing is retrained. One row per run and tau. Picking tau on these validation samples\n"+
			"makes its numbers optimistic; tau 1 is the paper's choice.")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"posthoc needs at least one folder or log file"}
	}
	var taus []float64
	for _, s := range strings.Split(*tauList, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(v >= 0) || v > 1e6 {
			return usageError{fmt.Sprintf("--tau: %q is not a number >= 0", s)}
		}
		taus = append(taus, v)
	}
	logs, err := readScoredLogs(fs.Args(), stderr)
	if err != nil {
		return err
	}
	t, err := runlog.PostHocTable(logs, taus)
	if err != nil {
		return err
	}
	return writeTableAndChart(t, *format, *plot, func() (*plots.Figure, error) { return plots.PostHoc(logs, taus) }, stdout, stderr)
}
