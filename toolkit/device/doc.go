// Package device turns a user's backend choice into what GoMLX needs: it
// parses the backend spec ("auto", "gofast", "go", "xla:cpu", "xla:cuda",
// "xla:/abs/path/plugin.so"), works out the environment a PJRT plugin
// needs (GOMLX_NO_AUTO_INSTALL, GOPJRT_CUDA_CHECKS, the CUDA library
// folders of a pip-installed plugin on LD_LIBRARY_PATH), and describes the
// machine in one line for the run log.
//
// Everything here is pure logic over strings and folders (it never loads
// a plugin), so it is tested on fake directory trees. The toolkit's
// SelectBackend applies it; the CLI also re-executes itself when
// LD_LIBRARY_PATH must change (see Reexec), because the dynamic loader
// reads that variable only when a process starts.
//
// Precedence of the spec: the --backend flag, else the config key
// "backend" (a config file or a run log's var_dict), else the
// GOMLX_BACKEND environment variable, else "auto".
package device
