package toolkit

import (
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/device"
	"github.com/debiaser/debiaser/toolkit/gobackend"
	"github.com/debiaser/debiaser/toolkit/progcache"
	"github.com/debiaser/debiaser/toolkit/xlafix"
)

// xlaAutoInstall is set by xla.go in builds with -tags xla: it turns
// GoMLX's plugin download on or off (GoMLX reads GOMLX_NO_AUTO_INSTALL
// only when the program starts, before the toolkit can set it).
var xlaAutoInstall func(enable bool)

// PrepareBackend resolves a backend spec (see package device: the
// --backend flag or config key "backend", else $GOMLX_BACKEND, else
// "auto"), checks that this program can run it, and sets the environment
// variables it needs in this process (GOMLX_NO_AUTO_INSTALL=1 and, for a
// CUDA plugin, GOPJRT_CUDA_CHECKS=0, each unless the user set it).
//
// LD_LIBRARY_PATH cannot be set that way: when plan.Restart() the plugin's
// CUDA libraries are missing from it and the process must be started
// again with it. The CLI re-executes itself (device.Reexec); a library or
// notebook user gets plan.Notice(), what to export before starting.
func PrepareBackend(name string) (device.Spec, device.Plan, error) {
	spec, err := device.Resolve(name, os.LookupEnv)
	if err != nil {
		return spec, device.Plan{}, err
	}
	plan := device.PlanFor(spec, os.LookupEnv)
	if err := plan.Apply(); err != nil {
		return spec, plan, err
	}
	if xlaAutoInstall != nil {
		xlaAutoInstall(device.AutoInstall(os.LookupEnv))
	}
	return spec, plan, spec.Check(backends.List())
}

// SelectBackend makes the GoMLX backend a run uses and a one-line
// description of it for the run log (run.backend). name is a backend spec:
// "auto" or "" (XLA when the program links it and a PJRT plugin starts,
// else gofast), "gofast", "go", "xla:cpu", "xla:cuda" or
// "xla:/abs/path/to/plugin.so"; empty falls back to $GOMLX_BACKEND (see
// PrepareBackend for the environment it sets). Errors name the field and
// what is available; a plugin that does not load is an error naming its
// path (with what to export when its CUDA libraries are not on
// LD_LIBRARY_PATH), never a panic.
//
// Within a process the same spec gives the same backend (made on first
// use, made again only after it was finalized): runs in a loop or in a
// notebook's cells then share one PJRT client, whose device memory,
// compiled kernels and autotuning they share too, instead of each run
// starting a client that competes for the GPU's memory. Finalizing it
// ends every tensor and result made on it.
func SelectBackend(name string) (b backends.Backend, info string, err error) {
	spec, plan, err := PrepareBackend(name)
	if err != nil {
		return nil, "", err
	}
	selected.Lock()
	defer selected.Unlock()
	key := spec.String()
	why := "from the config key \"backend\""
	if spec.Source == device.EnvBackend {
		why = "from " + device.EnvBackend
	}
	if c, ok := selected.m[key]; ok && !c.b.IsFinalized() {
		if spec.Kind == device.Auto {
			why = c.why
		}
		return c.b, describe(c.b, why), nil
	}
	if spec.Kind == device.Auto {
		b, why, err := autoBackend()
		if err != nil {
			return nil, "", err
		}
		selected.m[key] = selection{b, "auto: " + why}
		return b, describe(b, "auto: "+why), nil
	}
	if b, err = newBackend(spec.Config()); err != nil {
		if spec.Kind == device.XLA {
			what := "PJRT plugin " + spec.Plugin
			if !spec.ByPath() {
				what = fmt.Sprintf("PJRT plugin %q", spec.Plugin)
			}
			err = fmt.Errorf("backend %q: cannot load %s: %w", spec, what, err)
			if n := plan.Notice(); n != "" {
				err = fmt.Errorf("%w\n%s", err, n)
			}
			return nil, "", err
		}
		return nil, "", fmt.Errorf("backend %q: %w", spec, err)
	}
	b = withFixes(b)
	selected.m[key] = selection{b, why}
	return b, describe(b, why), nil
}

// selected holds SelectBackend's backends by spec.
var selected = struct {
	sync.Mutex
	m map[string]selection
}{m: map[string]selection{}}

type selection struct {
	b   backends.Backend
	why string // how the spec was chosen, for the description
}

// useOrSelect returns b (a backend the caller made) with its description,
// or else the backend the spec name selects.
func useOrSelect(b backends.Backend, name string) (backends.Backend, string, error) {
	if b != nil {
		return b, describe(b, ""), nil
	}
	return SelectBackend(name)
}

// withFixes wraps XLA backends with toolkit/xlafix (without it GoMLX
// v0.26.0 writes mixed-precision training steps that PJRT plugins refuse
// to compile) and a program cache (package progcache): the runs of a
// study, the folds of a search and a notebook's cells run again compile
// each distinct program once, instead of once a run.
// $DEBIASER_PROGRAM_CACHE=0 (or off, false, no) leaves the cache out.
func withFixes(b backends.Backend) backends.Backend {
	if b == nil || b.Name() != device.XLAName {
		return b
	}
	if v, ok := os.LookupEnv(EnvProgramCache); ok && slices.Contains([]string{"0", "off", "false", "no"}, strings.ToLower(v)) {
		return xlafix.Wrap(b)
	}
	return xlafix.Wrap(progcache.Wrap(b, progcache.New(0, nil)))
}

// EnvProgramCache turns XLA's program cache (package progcache) off when
// set to 0, off, false or no: every graph then compiles its own program.
const EnvProgramCache = "DEBIASER_PROGRAM_CACHE"

// AutoChoice says what "auto" picks in this program and why, without
// keeping the backend it tried.
func AutoChoice() (name, why string, err error) {
	b, why, err := autoBackend()
	if err != nil {
		return "", "", err
	}
	name = b.String()
	if b.Name() == device.XLAName {
		name = strings.SplitN(b.Description(), " ", 2)[0]
	}
	b.Finalize()
	return name, why, nil
}

// autoBackend: XLA when linked and a plugin starts (GoMLX's choice of
// plugin: cuda before cpu), else gofast.
func autoBackend() (backends.Backend, string, error) {
	why := "XLA not linked; build with -tags xla"
	if slices.Contains(backends.List(), device.XLAName) {
		b, err := newBackend(device.XLAName)
		if err == nil {
			return withFixes(b), "XLA linked, PJRT plugin started", nil
		}
		first, _, _ := strings.Cut(err.Error(), "\n")
		why = "XLA linked, no PJRT plugin started: " + first
	}
	b, err := gobackend.NewBackend("")
	if err != nil {
		return nil, "", err
	}
	return b, why, nil
}

// newBackend wraps backends.NewWithConfig, turning panics into errors.
func newBackend(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return backends.NewWithConfig(config)
}

func describe(b backends.Backend, why string) string {
	if why == "" {
		return fmt.Sprintf("backend %s: %s", b.String(), b.Description())
	}
	return fmt.Sprintf("backend %s (%s): %s", b.String(), why, b.Description())
}

// DeviceLine describes in one line the hardware b runs on, for the run
// log (run.device). gofast and go: the CPU model (from /proc/cpuinfo),
// its CPU count and GOMAXPROCS, and gofast's kernels. XLA: the PJRT plugin
// and version, the first device as the plugin describes it, and the NVIDIA
// GPUs the driver lists (/proc/driver/nvidia), or the CPU for xla:cpu.
func DeviceLine(b backends.Backend) string {
	b = unwrapAll(b)
	cpu := device.ReadCPU(device.CPUInfoPath).String()
	switch bb := b.(type) {
	case *gobackend.Backend:
		return cpu + "; gofast: " + bb.Kernels()
	}
	if b.Name() != device.XLAName {
		return fmt.Sprintf("%s; %s: %s", cpu, b.String(), b.Description())
	}
	line := b.Description()
	if n := b.NumDevices(); n > 0 {
		line += fmt.Sprintf("; device 0 of %d: %s", n, oneLine(b.DeviceDescription(0)))
	}
	if gpus := device.GPUSummary(device.GPUModels(device.NVIDIAGPUsDir)); gpus != "" && !strings.Contains(line, ":cpu ") {
		line += "; GPU: " + gpus
	} else if strings.Contains(line, ":cpu ") {
		line += "; " + cpu
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if p := patchedXLA(bi); p != "" {
			line += "; " + p
		}
	}
	return line
}

// patchedXLA says so when this program was built with go-xla replaced
// (deploy/gpu/build.sh's async build), so that a run log shows it: "" for
// a plain build.
func patchedXLA(bi *debug.BuildInfo) string {
	for _, m := range bi.Deps {
		if m.Path == "github.com/gomlx/go-xla" && m.Replace != nil {
			return fmt.Sprintf("patched build: go-xla %s replaced by %s", m.Version, m.Replace.Path)
		}
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
