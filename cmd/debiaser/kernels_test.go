package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKernels runs the kernels command on the bench package's profile
// fixtures (hand-made, see toolkit/bench/testdata/README.md).
func TestKernels(t *testing.T) {
	ncu, torch := "../../toolkit/bench/testdata/ncu_ours.csv", "../../toolkit/bench/testdata/torch_kernels.csv"
	jsonPath := filepath.Join(t.TempDir(), "kernels.json")
	out, _, err := runCLI(t, "kernels", "--top", "3", "--label", "ours,pytorch", "--wall-ms", "0.6,0.25", "--json", jsonPath, ncu, torch)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"GPU ms/step                0.371          0.223",
		"gap ms/step (wall - GPU)   0.229          0.027",
		"top 3 kernels of pytorch",
		"batch norm                      -       -   -       0.030   13.4%   2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var got []struct {
		Label          string  `json:"label"`
		KernelsPerStep int     `json:"kernels_per_step"`
		WallNS         float64 `json:"wall_ns"`
		Top            []any   `json:"top"`
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil || len(got) != 2 || got[0].Label != "ours" || got[0].KernelsPerStep != 15 ||
		got[1].WallNS != 0.25e6 || len(got[1].Top) != 14 {
		t.Errorf("json %s: %v", data, err)
	}

	// '-' keeps a file's own wall time ("# wall_ms_per_step", written by
	// deploy/gpu/torch_kernels.py).
	fixture, err := os.ReadFile(torch)
	if err != nil {
		t.Fatal(err)
	}
	withWall := filepath.Join(t.TempDir(), "torch-wall.csv")
	if err := os.WriteFile(withWall, append([]byte("# wall_ms_per_step=0.3\n"), fixture...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "kernels", "--label", "ours,pytorch", "--wall-ms", "0.6,-", ncu, withWall)
	if want := "gap ms/step (wall - GPU)   0.229          0.077"; err != nil || !strings.Contains(out, want) {
		t.Errorf("--wall-ms 0.6,- with the file's wall time: %v\n%s\nwant a line %q", err, out, want)
	}

	// Default labels are the file names; no --wall-ms, no gap row.
	out, _, err = runCLI(t, "kernels", torch)
	if err != nil || !strings.Contains(out, "torch_kernels.csv ms") || strings.Contains(out, "gap ms/step") {
		t.Errorf("one file: %v\n%s", err, out)
	}
}

func TestKernelsBadArgs(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("name,duration_ns\na,1\nb,slow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	norepeat := filepath.Join(dir, "norepeat.csv")
	if err := os.WriteFile(norepeat, []byte("name,duration_ns\na,1\nb,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "at least one profile file"},
		{[]string{"--label", "a,b", bad}, "2 labels for 1 files"},
		{[]string{"--wall-ms", "x", bad}, `"x" is not a time`},
		{[]string{"--wall-ms", "1,2", bad}, "2 times for 1 files"},
		{[]string{bad}, `bad.csv: line 3: duration_ns "slow"`},
		{[]string{norepeat}, "norepeat.csv: no training step found"},
		{[]string{filepath.Join(dir, "missing.csv")}, "missing.csv"},
	} {
		_, _, err := runCLI(t, append([]string{"kernels"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("kernels %v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
