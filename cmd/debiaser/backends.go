package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit"
	"github.com/debiaser/debiaser/toolkit/device"
)

// backendUsage is the --backend flag's help, shared by the training commands.
const backendUsage = "backend: auto, gofast (pure Go), go, xla:cpu, xla:cuda, or xla:/abs/path/to/plugin.so " +
	"(e.g. JAX's pip-installed CUDA plugin); overrides the config key \"backend\"; " +
	"default: the config's, else $GOMLX_BACKEND, else auto (see 'debiaser backends')"

// prepareBackend checks the backend spec before any data is loaded, sets
// the environment its plugin needs and, when the plugin's CUDA libraries
// are missing from LD_LIBRARY_PATH (read by the loader only at start),
// runs this command again with it: once, the DEBIASER_REEXEC marker stops
// a second time. A plugin that still does not load fails later with an
// error naming it.
func prepareBackend(name string, stderr io.Writer) error {
	_, plan, err := toolkit.PrepareBackend(name)
	if err != nil {
		return err
	}
	if device.NeedsReexec(plan, os.LookupEnv) {
		fmt.Fprintf(stderr, "debiaser: restarting with %s=%s (the CUDA libraries of %s)\n",
			device.EnvLibraryPath, plan.LibraryPath, plan.SitePackages)
		return device.Reexec(plan)
	}
	return nil
}

func runBackends(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backends", stderr)
	spec := fs.String("backend", "", "the backend spec to explain (default: $GOMLX_BACKEND, else auto)")
	exports := fs.Bool("exports", false, "print only the shell lines (export NAME=VALUE) of the environment the spec needs, LD_LIBRARY_PATH included, and start nothing: for a notebook's Jupyter, a profiler, or anything that must not restart")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: debiaser backends [--backend SPEC] [--exports]\n\n"+
			"Lists the GoMLX backends this program has, what 'auto' picks here and why,\n"+
			"the environment the toolkit sets for a spec, and the device line run logs get.\n"+
			"With --exports: eval \"$(debiaser backends --backend SPEC --exports)\" sets that\n"+
			"environment in a shell, so that programs started from it need no restart.")
		fs.PrintDefaults()
	}
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	// Before anything is set: the plan shows what the toolkit will add.
	s, resolveErr := device.Resolve(*spec, os.LookupEnv)
	plan := device.PlanFor(s, os.LookupEnv)
	if *exports {
		if resolveErr != nil {
			return resolveErr
		}
		fmt.Fprint(stdout, plan.Exports())
		return nil
	}
	if resolveErr == nil {
		if err := prepareBackend(*spec, stderr); err != nil {
			resolveErr = err
		}
	}

	registered := slices.Sorted(slices.Values(backends.List()))
	linked := "XLA: linked (built with -tags xla)"
	if !slices.Contains(registered, device.XLAName) {
		linked = "XLA: not linked (build with -tags xla to get it)"
	}
	fmt.Fprintf(stdout, "backends in this program: %s; %s\n", strings.Join(registered, ", "), linked)
	autoName, autoWhy, err := toolkit.AutoChoice()
	if err != nil {
		fmt.Fprintf(stdout, "auto picks: nothing: %v\n", err)
	} else {
		fmt.Fprintf(stdout, "auto picks: %s (%s)\n", autoName, autoWhy)
	}
	shown, source := *spec, "--backend"
	if strings.TrimSpace(shown) == "" {
		shown, source = os.Getenv(device.EnvBackend), device.EnvBackend
		if strings.TrimSpace(shown) == "" {
			shown, source = "auto", "default"
		}
	}
	if resolveErr == nil {
		shown = s.String()
	}
	fmt.Fprintf(stdout, "spec: %s (%s; precedence: --backend, then the config key \"backend\", then %s, then auto)\n", shown, source, device.EnvBackend)

	fmt.Fprintln(stdout, "environment the toolkit sets:")
	for _, v := range plan.Set {
		fmt.Fprintf(stdout, "  %s=%s  (%s)\n", v.Name, v.Value, v.Why)
	}
	switch {
	case plan.Restart():
		fmt.Fprintf(stdout, "  %s=%s  (the plugin's CUDA libraries; the CLI restarts itself once with it)\n", device.EnvLibraryPath, plan.LibraryPath)
	case len(plan.LibDirs) > 0:
		fmt.Fprintf(stdout, "  %s already has the plugin's CUDA libraries (%s)\n", device.EnvLibraryPath, filepath.Join(plan.SitePackages, "nvidia", "*", "lib"))
	}
	if _, again := os.LookupEnv(device.EnvReexec); !again && len(plan.Set) == 0 && !plan.Restart() && len(plan.LibDirs) == 0 {
		fmt.Fprintln(stdout, "  nothing (the user's settings are kept)")
	}
	if vars, again := device.ReexecSet(os.LookupEnv); again {
		fmt.Fprintln(stdout, "  restarted once by debiaser, which set:")
		for _, v := range vars {
			fmt.Fprintf(stdout, "    %s=%s\n", v.Name, v.Value)
		}
	}

	if resolveErr != nil {
		fmt.Fprintf(stdout, "device: none, the spec cannot run here: %v\n", resolveErr)
		return resolveErr
	}
	b, _, err := toolkit.SelectBackend(*spec)
	if err != nil {
		fmt.Fprintf(stdout, "device: none, the backend did not start: %v\n", err)
		return err
	}
	defer b.Finalize()
	fmt.Fprintf(stdout, "device: %s\n", toolkit.DeviceLine(b))
	return nil
}
