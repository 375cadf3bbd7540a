package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/sweep"
)

func readSpec(path string) (sweep.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return sweep.Spec{}, err
	}
	s, err := toolkit.ParseSearchSpec(b)
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// shareFromEnv reads the share a cluster scheduler assigns: Slurm job
// arrays (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) or Kubernetes
// Indexed Jobs (JOB_COMPLETION_INDEX).
func shareFromEnv() (index, count int, ok bool) {
	for _, v := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"} {
		if s := os.Getenv(v); s != "" {
			if i, err := strconv.Atoi(s); err == nil {
				index, ok = i, true
				break
			}
		}
	}
	if s := os.Getenv("SLURM_ARRAY_TASK_COUNT"); s != "" {
		count, _ = strconv.Atoi(s)
	}
	return index, count, ok
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("search", stderr)
	specPath := fs.String("spec", "", "search file: {\"base\": {var_dict keys}, \"grid\": {key: [values]}, \"methods\": [study method names, \"study\", \"extra\"], \"variants\": [{\"name\": \"...\", \"set\": {var_dict keys}}], \"k\": 3, \"seed\": 1, \"best_by\": \"valid_accuracy\"}; methods and variants are crossed with the grid")
	dir := fs.String("dir", "", "search folder (manifest, one log per trial); shared by every share")
	index := fs.Int("index", -1, "this share's index (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX, else 0)")
	count := fs.Int("count", 0, "number of shares (default: $SLURM_ARRAY_TASK_COUNT, else 1)")
	parallel := fs.Int("parallel", 0, "run this many shares as local processes, then collect")
	collect := fs.Bool("collect", false, "only merge the finished trials into the table")
	format := fs.String("format", "text", "table format: text, markdown, html or json")
	quiet := fs.Bool("quiet", false, "no progress lines")
	backend := fs.String("backend", "", backendUsage+"; the manifest keeps the spec's base config")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: debiaser search --spec s.json --dir D [flags]\n\n%s: every trial's log in D, resumable;\n--index/--count or --parallel split it into shares, --collect merges their logs into one table.\n\n", commands["search"].summary)
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if *dir == "" {
		return usageError{"search needs --dir"}
	}
	var table *sweep.Table
	switch {
	case *collect:
		t, err := sweep.Collect(*dir)
		if err != nil {
			return err
		}
		table = t
	case *parallel > 0:
		if *specPath == "" {
			return usageError{"search needs --spec"}
		}
		if err := runLocalShares(ctx, args, *parallel, stderr); err != nil {
			return err
		}
		t, err := sweep.Collect(*dir)
		if err != nil {
			return err
		}
		table = t
	default:
		if *specPath == "" {
			return usageError{"search needs --spec"}
		}
		spec, err := readSpec(*specPath)
		if err != nil {
			return err
		}
		be := spec.Base.Backend
		if *backend != "" {
			be = *backend
		}
		if err := prepareBackend(be, stderr); err != nil {
			return err
		}
		envIndex, envCount, fromEnv := shareFromEnv()
		share := sweep.Share{Index: 0, Count: 1}
		if fromEnv {
			share = sweep.Share{Index: envIndex, Count: max(envCount, 1)}
		}
		if *index >= 0 {
			share.Index = *index
		}
		if *count > 0 {
			share.Count = *count
		}
		var progress io.Writer = stderr
		if *quiet {
			progress = nil
		}
		t, p, err := toolkit.SearchOn(ctx, spec, *dir, share, *backend, progress)
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted: share %d of %d finished %d trials now (%d before); every finished trial's log is kept in %s: run the same command again to continue (the interrupted trial starts again)",
				share.Index, share.Count, p.Ran, p.Skipped, *dir)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "share %d of %d: ran %d trials, skipped %d finished\n", share.Index, share.Count, p.Ran, p.Skipped)
		if t == nil {
			fmt.Fprintf(stdout, "other shares are still running; when all are done: debiaser search --dir %s --collect\n", *dir)
			return nil
		}
		table = t
	}
	return writeTable(stdout, table, *format)
}

// runLocalShares runs n copies of this command, one per share.
func runLocalShares(ctx context.Context, args []string, n int, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var cmds []*exec.Cmd
	for i := 0; i < n; i++ {
		a := append([]string{"search"}, args...)
		a = append(a, "--parallel=0", "--index="+strconv.Itoa(i), "--count="+strconv.Itoa(n), "--quiet")
		c := exec.CommandContext(ctx, self, a...)
		c.Stdout, c.Stderr = io.Discard, stderr
		if err := c.Start(); err != nil {
			return err
		}
		cmds = append(cmds, c)
	}
	var errs []error
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("share %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func writeTable(w io.Writer, t *sweep.Table, format string) error {
	switch format {
	case "text":
		_, err := io.WriteString(w, t.String())
		return err
	case "markdown":
		_, err := io.WriteString(w, t.Markdown())
		return err
	case "html":
		_, err := io.WriteString(w, t.HTML())
		return err
	case "json":
		b, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return usageError{fmt.Sprintf("unknown format %q (text, markdown, html, json)", format)}
}
