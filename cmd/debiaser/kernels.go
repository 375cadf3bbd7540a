package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/debiaser/debiaser/toolkit/bench"
)

func runKernels(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kernels", stderr)
	top := fs.Int("top", 15, "kernels to list per profile, by GPU time per step")
	labels := fs.String("label", "", "names of the profiles, comma-separated, one per file (default: the file names)")
	maxPeriod := fs.Int("max-period", 5000, "most kernels one training step may have, when the file has no '# steps=N' line")
	wallMS := fs.String("wall-ms", "", "wall time per step from the benchmark (ms), comma-separated, one per file ('-': the file's own \"# wall_ms_per_step\" line, if any): prints the gap, wall minus GPU busy")
	jsonOut := fs.String("json", "", "also write every profile's summary to this JSON file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser kernels [flags] FILE...\n\nGPU time per training step and where it goes by kernel kind, profiles side by side.\nEach FILE is Nsight Compute's CSV (ncu --csv --metrics gpu__time_duration.sum\n--print-units base ...) or name,duration_ns rows (a '# steps=N' line gives the\nsteps profiled; without one the step is the period with which the profile ends).")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageError{"kernels needs at least one profile file"}
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	if *labels != "" {
		names = strings.Split(*labels, ",")
		if len(names) != len(files) {
			return usageError{fmt.Sprintf("--label: %d labels for %d files", len(names), len(files))}
		}
	}
	var walls []float64
	if *wallMS != "" {
		for _, s := range strings.Split(*wallMS, ",") {
			if strings.TrimSpace(s) == "-" { // none: the file's own "# wall_ms_per_step", if any
				walls = append(walls, 0)
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || v <= 0 {
				return usageError{fmt.Sprintf("--wall-ms: %q is not a time in ms", s)}
			}
			walls = append(walls, v)
		}
		if len(walls) != len(files) {
			return usageError{fmt.Sprintf("--wall-ms: %d times for %d files", len(walls), len(files))}
		}
	}
	profs := make([]bench.StepProfile, len(files))
	for i, path := range files {
		p, err := summarizeKernels(path, *maxPeriod)
		if err != nil {
			return err
		}
		if walls != nil && walls[i] > 0 {
			p.WallNS = walls[i] * 1e6
		}
		profs[i] = p
	}
	if err := bench.WriteKernelTable(stdout, names, profs, *top); err != nil {
		return err
	}
	if *jsonOut != "" {
		type labelled struct {
			Label string `json:"label"`
			bench.StepProfile
		}
		out := make([]labelled, len(profs))
		for i, p := range profs {
			out[i] = labelled{names[i], p}
		}
		data, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("kernels: --json: %w", err)
		}
	}
	return nil
}

// summarizeKernels reads one profile file and finds its training step;
// errors name the file.
func summarizeKernels(path string, maxPeriod int) (bench.StepProfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return bench.StepProfile{}, err
	}
	defer f.Close()
	k, err := bench.ReadKernels(f)
	if err != nil {
		return bench.StepProfile{}, fmt.Errorf("%s: %w", path, err)
	}
	p, err := bench.Summarize(k, maxPeriod)
	if err != nil {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
