package device_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/debiaser/debiaser/toolkit/device"
)

// Specs as users write them, in canonical form and as GoMLX's config.
func ExampleParse() {
	for _, in := range []string{"", "gofast", "xla:cuda,tf32", "xla:/opt/v/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so", "cuda"} {
		s, err := device.Parse(in)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%q -> %s (backend %q, by path %v)\n", in, s, s.BackendName(), s.ByPath())
	}
	// Output:
	// "" -> auto (backend "", by path false)
	// "gofast" -> gofast (backend "gofast", by path false)
	// "xla:cuda,tf32" -> xla:cuda,tf32 (backend "xla", by path false)
	// "xla:/opt/v/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so" -> xla:/opt/v/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so (backend "xla", by path true)
	// error: unknown backend "cuda": use auto, gofast, go, xla:cpu, xla:cuda or xla:/abs/path/to/plugin.so
}

// The environment JAX's pip-installed CUDA plugin needs, in a clean
// environment (a fake venv here).
func ExamplePlanFor() {
	root, _ := os.MkdirTemp("", "venv")
	defer os.RemoveAll(root)
	sp := filepath.Join(root, "lib", "python3.12", "site-packages")
	plugin := filepath.Join(sp, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	for _, d := range []string{"cu13", "cudnn", "nccl"} {
		_ = os.MkdirAll(filepath.Join(sp, "nvidia", d, "lib"), 0o755)
	}
	s, _ := device.Parse("xla:" + plugin)
	clean := func(string) (string, bool) { return "", false }
	p := device.PlanFor(s, clean)
	fmt.Print(strings.ReplaceAll(p.Exports(), root, "$VENV"))
	fmt.Println("restart needed:", p.Restart(), "- re-execute:", device.NeedsReexec(p, clean))
	// Output:
	// export GOMLX_NO_AUTO_INSTALL=1
	// export GOPJRT_CUDA_CHECKS=0
	// export LD_LIBRARY_PATH=$VENV/lib/python3.12/site-packages/nvidia/cu13/lib:$VENV/lib/python3.12/site-packages/nvidia/cudnn/lib:$VENV/lib/python3.12/site-packages/nvidia/nccl/lib
	// restart needed: true - re-execute: true
}
