package device

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Where Linux describes the hardware; tests pass fake files.
const (
	CPUInfoPath   = "/proc/cpuinfo"
	NVIDIAGPUsDir = "/proc/driver/nvidia/gpus"
)

// CPU describes the processor a pure-Go backend runs on.
type CPU struct {
	// Model is the first "model name" of /proc/cpuinfo ("" if unknown).
	Model string
	// CPUs is the number of logical CPUs this process may use; GOMAXPROCS
	// is how many Go runs code on at once.
	CPUs, GOMAXPROCS int
}

// ReadCPU reads the model name from a /proc/cpuinfo-format file (missing
// or unreadable: no model) and the counts from the Go runtime.
func ReadCPU(cpuinfo string) CPU {
	c := CPU{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	f, err := os.Open(cpuinfo)
	if err != nil {
		return c
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		// x86 says "model name"; some ARM kernels "Model" or "Hardware".
		switch strings.TrimSpace(k) {
		case "model name", "Model", "Hardware":
			if v = strings.Join(strings.Fields(v), " "); v != "" {
				c.Model = v
				return c
			}
		}
	}
	return c
}

// String is e.g. `CPU "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", 2 CPUs, GOMAXPROCS 2`.
func (c CPU) String() string {
	model := c.Model
	if model == "" {
		model = "unknown model, " + runtime.GOARCH
	}
	return fmt.Sprintf("CPU %q, %d CPUs, GOMAXPROCS %d", model, c.CPUs, c.GOMAXPROCS)
}

// GPUModels reads the "Model:" line of every NVIDIA GPU the driver lists
// under dir (/proc/driver/nvidia/gpus/*/information), sorted by bus id;
// nil when there is no NVIDIA driver.
func GPUModels(dir string) []string {
	infos, _ := filepath.Glob(filepath.Join(dir, "*", "information"))
	sort.Strings(infos)
	var models []string
	for _, p := range infos {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Model" {
				models = append(models, strings.TrimSpace(v))
				break
			}
		}
	}
	return models
}

// GPUSummary joins models as "2 x NVIDIA H100 80GB HBM3" or a list.
func GPUSummary(models []string) string {
	if len(models) == 0 {
		return ""
	}
	same := true
	for _, m := range models[1:] {
		same = same && m == models[0]
	}
	if same {
		return fmt.Sprintf("%d x %s", len(models), models[0])
	}
	return strings.Join(models, ", ")
}
