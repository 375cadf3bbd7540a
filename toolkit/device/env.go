package device

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// Environment variables the toolkit sets or reads.
const (
	// EnvNoAutoInstall stops GoMLX from downloading PJRT plugins. The
	// toolkit sets it to 1 unless the user set it; "0", "false" or "no"
	// allow the download (GoMLX alone treats any value as "off").
	EnvNoAutoInstall = "GOMLX_NO_AUTO_INSTALL"
	// EnvCUDAChecks: go-xla's check of a CUDA plugin's folder layout,
	// which otherwise sets an XLA_FLAGS that breaks pip-installed plugins.
	EnvCUDAChecks = "GOPJRT_CUDA_CHECKS"
	// EnvLibraryPath is read by the dynamic loader when a process starts.
	EnvLibraryPath = "LD_LIBRARY_PATH"
	// EnvReexec marks a process the CLI has re-executed, so it does it
	// once; its value lists the variables set for the new process.
	EnvReexec = "DEBIASER_REEXEC"
)

// Var is one environment variable to set.
type Var struct {
	Name, Value string
	// Why is a short reason, shown by `debiaser backends`.
	Why string
}

// Plan is the environment a spec needs, computed from the current one.
type Plan struct {
	// Set are the variables to set in this process (os.Setenv is enough
	// for them): only those the user has not set.
	Set []Var
	// SitePackages is the Python site-packages folder that holds the
	// plugin, when it is in one (a pip-installed plugin such as JAX's).
	SitePackages string
	// LibDirs are that tree's CUDA library folders
	// (site-packages/nvidia/*/lib), which the plugin loads by name.
	LibDirs []string
	// LibraryPath is the LD_LIBRARY_PATH the plugin needs: LibDirs
	// followed by the current value. Empty when nothing is missing.
	LibraryPath string
}

// Restart reports whether LD_LIBRARY_PATH must change, which only a new
// process sees.
func (p Plan) Restart() bool { return p.LibraryPath != "" }

// AutoInstall reports whether GoMLX may download plugins under this plan
// and environment.
func AutoInstall(getenv func(string) (string, bool)) bool {
	v, ok := getenv(EnvNoAutoInstall)
	if !ok {
		return false // the toolkit sets it
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "0", "false", "no":
		return true
	}
	return false
}

// PlanFor computes the environment spec needs, given the current one.
func PlanFor(s Spec, getenv func(string) (string, bool)) Plan {
	var p Plan
	if _, ok := getenv(EnvNoAutoInstall); !ok {
		p.Set = append(p.Set, Var{EnvNoAutoInstall, "1", "never download PJRT plugins; set it to 0 to allow"})
	}
	cuda := s.Kind == XLA && (s.ByPath() || strings.Contains(strings.ToLower(s.Plugin), "cuda"))
	if _, ok := getenv(EnvCUDAChecks); !ok && cuda {
		p.Set = append(p.Set, Var{EnvCUDAChecks, "0", "go-xla's CUDA layout check would set a wrong XLA_FLAGS"})
	}
	if !s.ByPath() {
		return p
	}
	p.SitePackages = SitePackages(s.Plugin)
	if p.SitePackages == "" {
		return p
	}
	p.LibDirs = CUDALibDirs(p.SitePackages)
	cur, _ := getenv(EnvLibraryPath)
	have := filepath.SplitList(cur)
	var missing []string
	for _, d := range p.LibDirs {
		if !slices.Contains(have, d) {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		if cur != "" {
			missing = append(missing, cur)
		}
		p.LibraryPath = strings.Join(missing, string(filepath.ListSeparator))
	}
	return p
}

// SitePackages returns the nearest folder above path named site-packages
// or dist-packages, or "".
func SitePackages(path string) string {
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		if b := filepath.Base(d); b == "site-packages" || b == "dist-packages" {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// CUDALibDirs lists site-packages/nvidia/*/lib folders (cu13, cudnn,
// nccl, nvshmem, cublas...: whatever NVIDIA's pip wheels installed),
// sorted.
func CUDALibDirs(sitePackages string) []string {
	m, _ := filepath.Glob(filepath.Join(sitePackages, "nvidia", "*", "lib"))
	var dirs []string
	for _, d := range m {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	return dirs
}

// Apply sets the plan's variables in this process. LD_LIBRARY_PATH is not
// among them: see Reexec and Notice.
func (p Plan) Apply() error {
	for _, v := range p.Set {
		if err := os.Setenv(v.Name, v.Value); err != nil {
			return fmt.Errorf("set %s: %w", v.Name, err)
		}
	}
	return nil
}

// Exports are shell lines that set what the plan needs, LD_LIBRARY_PATH
// included, for a user to run before starting a program (or Jupyter).
func (p Plan) Exports() string {
	var b strings.Builder
	for _, v := range p.Set {
		fmt.Fprintf(&b, "export %s=%s\n", v.Name, shellQuote(v.Value))
	}
	if p.Restart() {
		fmt.Fprintf(&b, "export %s=%s\n", EnvLibraryPath, shellQuote(p.LibraryPath))
	}
	return b.String()
}

// Notice explains, for library and notebook users, what must be set
// before the process starts (only LD_LIBRARY_PATH: Apply sets the others
// in the process); "" when nothing is missing.
func (p Plan) Notice() string {
	if !p.Restart() {
		return ""
	}
	return fmt.Sprintf("the plugin's CUDA libraries (%s) are not on %s, which the loader reads only when a process starts; "+
		"export it before starting the program (for a notebook: before starting Jupyter), then restart:\n  export %s=%s",
		filepath.Join(p.SitePackages, "nvidia", "*", "lib"), EnvLibraryPath, EnvLibraryPath, shellQuote(p.LibraryPath))
}

// NeedsReexec reports whether a program should re-execute itself for the
// plan: LD_LIBRARY_PATH must change and this process is not already a
// re-execution (the EnvReexec marker prevents loops).
func NeedsReexec(p Plan, getenv func(string) (string, bool)) bool {
	_, again := getenv(EnvReexec)
	return p.Restart() && !again
}

// Reexec replaces this process with a new run of the same program and
// arguments, with the plan's variables, LD_LIBRARY_PATH and the EnvReexec
// marker set to "NAME=VALUE NAME=VALUE..." of what it set (ReexecSet
// reads it back). It returns only on failure. Call it only when NeedsReexec.
func Reexec(p Plan) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("re-execute with %s: %w", EnvLibraryPath, err)
	}
	env := os.Environ()
	set := func(name, value string) {
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		env = append(env, name+"="+value)
	}
	var names []string
	for _, v := range append(p.Set, Var{Name: EnvLibraryPath, Value: p.LibraryPath}) {
		set(v.Name, v.Value)
		names = append(names, v.Name)
	}
	set(EnvReexec, strings.Join(names, ","))
	if err := syscall.Exec(self, os.Args, env); err != nil {
		return fmt.Errorf("re-execute %s with %s: %w", self, EnvLibraryPath, err)
	}
	return nil
}

// ReexecSet returns the variables a re-execution set (as they are now in
// this process), and whether this process is one.
func ReexecSet(getenv func(string) (string, bool)) (vars []Var, ok bool) {
	names, ok := getenv(EnvReexec)
	if !ok {
		return nil, false
	}
	for _, n := range strings.Split(names, ",") {
		if v, set := getenv(n); set && n != "" {
			vars = append(vars, Var{Name: n, Value: v})
		}
	}
	return vars, true
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == ',' || r == '=' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
