package bench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Kernel is one kernel launch of a GPU profile.
type Kernel struct {
	Name       string  `json:"name"`
	DurationNS float64 `json:"duration_ns"`
}

// KernelFile is a profile's kernels in launch order, and the number of
// training steps they cover when the file says so (a "# steps=N" line).
type KernelFile struct {
	Kernels []Kernel `json:"kernels"`
	Steps   int      `json:"steps,omitempty"` // 0: not given, find the step by its period
	// WallMS is the wall time per step measured beside the profile (a
	// "# wall_ms_per_step=X" line, as deploy/gpu/torch_kernels.py writes);
	// 0: not given.
	WallMS float64 `json:"wall_ms_per_step,omitempty"`
}

// ncuDuration are the metric names of a kernel's duration in Nsight
// Compute's CSV: the raw metric, and the "Duration" row of its
// SpeedOfLight section.
var ncuDuration = map[string]bool{"gpu__time_duration.sum": true, "gpu__time_duration": true, "Duration": true}

// ncuColumns are the columns ReadKernels needs in Nsight Compute's CSV;
// the others vary with its version and are ignored.
var ncuColumns = []string{"ID", "Kernel Name", "Metric Name", "Metric Unit", "Metric Value"}

// unitNS is nanoseconds per time unit, as `ncu --print-units base` and
// the default units write them.
var unitNS = map[string]float64{
	"nsecond": 1, "ns": 1, "usecond": 1e3, "us": 1e3, "msecond": 1e6, "ms": 1e6, "second": 1e9, "s": 1e9,
}

// ReadKernels reads a profile in one of two CSV formats, told apart by
// the header:
//
//   - Nsight Compute's `ncu --csv` details page in its long layout (one
//     row per kernel and metric, header starting with "ID"): the rows of
//     gpu__time_duration.sum (or gpu__time_duration, or Duration), found
//     by the header's column names, in the order of their ID; units
//     nsecond, usecond, msecond, second (or ns, us, ms, s); values may
//     carry thousands separators. Lines before the header (==PROF==,
//     ==WARNING==, the program's own output) and "==" lines after it are
//     skipped.
//   - the PyTorch profile format: header name,duration_ns, then one
//     kernel a row in launch order (names CSV-quoted).
//
// In both, lines starting with '#' are comments; "# steps=N" says the
// kernels are N training steps. Errors name the line.
func ReadKernels(r io.Reader) (KernelFile, error) {
	var f KernelFile
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20) // C++ kernel names run to kilobytes
	format, lineNo := "", 0
	var col map[string]int
	ncuByID := map[int]Kernel{}
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || (format != "torch" && strings.HasPrefix(line, "==")) {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if err := f.comment(line); err != nil {
				return f, fmt.Errorf("line %d: %w", lineNo, err)
			}
			continue
		}
		rec, err := csvFields(line)
		if err != nil {
			return f, fmt.Errorf("line %d: %w", lineNo, err)
		}
		switch format {
		case "":
			switch {
			case len(rec) > 0 && rec[0] == "ID":
				format, col = "ncu", map[string]int{}
				for i, name := range rec {
					col[strings.TrimSpace(name)] = i
				}
				for _, name := range ncuColumns {
					if _, ok := col[name]; !ok {
						return f, fmt.Errorf("line %d: Nsight Compute header lacks column %q", lineNo, name)
					}
				}
			case len(rec) == 2 && strings.TrimSpace(rec[0]) == "name" && strings.TrimSpace(rec[1]) == "duration_ns":
				format = "torch"
			}
			// Anything else before a header is a preamble line.
		case "ncu":
			k, id, ok, err := ncuRow(rec, col)
			if err != nil {
				return f, fmt.Errorf("line %d: %w", lineNo, err)
			}
			if _, seen := ncuByID[id]; ok && !seen {
				ncuByID[id] = k
			}
		case "torch":
			if len(rec) != 2 {
				return f, fmt.Errorf("line %d: %d fields, want 2 (name,duration_ns)", lineNo, len(rec))
			}
			ns, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
			if err != nil || ns < 0 || math.IsNaN(ns) || math.IsInf(ns, 0) {
				return f, fmt.Errorf("line %d: duration_ns %q is not a duration", lineNo, rec[1])
			}
			f.Kernels = append(f.Kernels, Kernel{Name: rec[0], DurationNS: ns})
		}
	}
	if err := sc.Err(); err != nil {
		return f, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if format == "" {
		return f, errors.New(`no header: want Nsight Compute's CSV ("ID","Kernel Name",...,"Metric Value") or name,duration_ns`)
	}
	if format == "ncu" {
		ids := make([]int, 0, len(ncuByID))
		for id := range ncuByID {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			f.Kernels = append(f.Kernels, ncuByID[id])
		}
	}
	if len(f.Kernels) == 0 {
		return f, fmt.Errorf("no kernel rows (%s format)", format)
	}
	return f, nil
}

// comment reads a '#' line: "# steps=N" sets Steps, others are ignored.
func (f *KernelFile) comment(line string) error {
	text := strings.TrimSpace(strings.TrimPrefix(line, "#"))
	if v, ok := strings.CutPrefix(text, "wall_ms_per_step="); ok {
		ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(ms > 0) || math.IsInf(ms, 0) {
			return fmt.Errorf("wall_ms_per_step=%s: want a time in ms > 0", v)
		}
		f.WallMS = ms
		return nil
	}
	v, ok := strings.CutPrefix(text, "steps=")
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return fmt.Errorf("steps=%s: want a whole number >= 1", v)
	}
	f.Steps = n
	return nil
}

// csvFields splits one CSV line; Nsight Compute quotes every field, and a
// stray quote inside a kernel name is taken as it is.
func csvFields(line string) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(line))
	cr.LazyQuotes, cr.FieldsPerRecord = true, -1
	return cr.Read()
}

// ncuRow reads one data row of Nsight Compute's CSV: ok is false for rows
// of other metrics.
func ncuRow(rec []string, col map[string]int) (k Kernel, id int, ok bool, err error) {
	get := func(name string) (string, error) {
		if i := col[name]; i < len(rec) {
			return strings.TrimSpace(rec[i]), nil
		}
		return "", fmt.Errorf("%d fields, no %q", len(rec), name)
	}
	metric, err := get("Metric Name")
	if err != nil || !ncuDuration[metric] {
		return k, 0, false, err
	}
	var idS, unit, value string
	if idS, err = get("ID"); err == nil {
		if k.Name, err = get("Kernel Name"); err == nil {
			if unit, err = get("Metric Unit"); err == nil {
				value, err = get("Metric Value")
			}
		}
	}
	if err != nil {
		return k, 0, false, err
	}
	if id, err = strconv.Atoi(idS); err != nil {
		return k, 0, false, fmt.Errorf("ID %q is not a number", idS)
	}
	scale, known := unitNS[unit]
	if !known {
		return k, 0, false, fmt.Errorf("%s unit %q is not a time unit (nsecond, usecond, msecond, second)", metric, unit)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(value, ",", ""), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return k, 0, false, fmt.Errorf("%s value %q is not a duration", metric, value)
	}
	k.DurationNS = v * scale
	return k, id, true, nil
}

// StepPeriod is the number of kernels in one training step: the period
// with which the end of a profile repeats (the steady steps come last;
// first steps, compilation and variable initialisation before them may
// differ). 0 when the end does not repeat at least twice within
// maxPeriod kernels (maxPeriod <= 0: no limit).
//
// A step may itself end in repeated blocks (the same fusion for each
// stage, one optimizer kernel per parameter group), so "the smallest P
// whose last P kernels equal the P before them" can pick a block. The
// rule: for each P, let L(P) be the length of the longest suffix with
// period P (names[i] == names[i-P] throughout it). A block of length p
// inside a step of length S stops repeating within the last step plus a
// block (L(p) < S+p: otherwise, by Fine and Wilf's theorem, the step
// itself would have period gcd(p, S)), whereas the step's own period
// covers every steady step (L(S) >= steps*S). So among the P with two
// full repeats (L(P) >= 2P) let Lmax be the longest L(P); the answer is
// the smallest P whose tail reaches to within one period of it
// (L(P)+P > Lmax). This picks the step, not a block, whenever the profile
// ends with at least three identical steps (two suffice for blocks
// shorter than half a step); multiples of the step reach no further than
// the step itself, so the smallest wins. The profile may stop inside a
// step (ncu --launch-count): the last P kernels are then a rotation of a
// step, the same kernels.
func StepPeriod(names []string, maxPeriod int) int {
	p, _ := tailPeriod(names, maxPeriod)
	return p
}

// tailPeriod is StepPeriod and the number of full periods the tail holds.
func tailPeriod(names []string, maxPeriod int) (period, repeats int) {
	n := len(names)
	ids := make([]int, n) // compare small ints, not long names
	seen := map[string]int{}
	for i, s := range names {
		id, ok := seen[s]
		if !ok {
			id = len(seen)
			seen[s] = id
		}
		ids[i] = id
	}
	hi := n / 2
	if maxPeriod > 0 && maxPeriod < hi {
		hi = maxPeriod
	}
	reach := make([]int, hi+1) // L(P); 0 when under two full periods
	lmax := 0
	for p := 1; p <= hi; p++ {
		m := 0
		for i := n - 1; i-p >= 0 && ids[i] == ids[i-p]; i-- {
			m++
		}
		if m >= p {
			reach[p] = m + p
			lmax = max(lmax, reach[p])
		}
	}
	for p := 1; p <= hi; p++ {
		if reach[p] > 0 && reach[p]+p > lmax {
			return p, reach[p] / p
		}
	}
	return 0, 0
}

// Kinds are the kernel kinds Kind tells apart, "other" last.
var Kinds = []string{"convolution", "matmul", "batch norm", "pooling", "optimizer", "copy", "reduction", "elementwise", "other"}

// kindRules are tried in order on the lower-cased name; the first match
// wins. The order carries the meaning: batch norm and pooling before the
// generic cuDNN rule (cudnn::bn_fw..., cudnn::pooling...), convolution
// before matmul (implicit GEMM is a convolution; "conv" only as a word, so
// XLA's loop_convert_fusion is not one), XLA's reduce_window (max pool)
// before reduction, copies (transposes, PyTorch's direct_copy) and
// reductions before the catch-all elementwise "fusion".
var kindRules = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"batch norm", regexp.MustCompile(`batch_?norm|bn_fw|bn_bw|bn_forward|bn_backward|cudnn::bn`)},
	{"optimizer", regexp.MustCompile(`adam|multi_tensor_apply|sgd_|momentum`)},
	{"pooling", regexp.MustCompile(`pool|select_?and_?scatter|reduce_?window`)},
	{"convolution", regexp.MustCompile(`convolution|convolve|(^|[^a-z])conv([^a-z]|$)|conv[23]d|fprop|dgrad|wgrad|implicit_?gemm|winograd`)},
	{"matmul", regexp.MustCompile(`gemm|gemv|cublas|matmul|cutlass|(^|[^a-z])dot([^a-z]|$)`)},
	{"copy", regexp.MustCompile(`copy|transpose|memcpy|memset|concatenate|nchwtonhwc|nhwctonchw`)},
	{"convolution", regexp.MustCompile(`cudnn`)}, // cuDNN's other kernels serve its convolutions
	{"reduction", regexp.MustCompile(`reduc|softmax|nll_loss|cub::`)},
	{"elementwise", regexp.MustCompile(`elementwise|fusion|loop_|wrapped_|dropout|bernoulli|fill`)},
}

// Kind is a kernel's kind (one of Kinds) from its name, for cuDNN,
// cuBLAS, CUTLASS, PyTorch and XLA kernel names. XLA splits batch norm
// into reduce and loop fusions, so on our side its time shows as
// reduction and elementwise, not "batch norm".
func Kind(name string) string {
	lower := strings.ToLower(name)
	for _, r := range kindRules {
		if r.re.MatchString(lower) {
			return r.kind
		}
	}
	return "other"
}

// TimeShare is the GPU time per step of a kind of kernel or of one kernel
// name.
type TimeShare struct {
	Name    string  `json:"name"`    // a kind, or a kernel name
	Kernels float64 `json:"kernels"` // launches per step
	NS      float64 `json:"ns"`      // GPU time per step, nanoseconds
	Share   float64 `json:"share"`   // of the step's GPU time, 0..1
}

// StepProfile is where one training step's GPU time goes.
type StepProfile struct {
	Source         string      `json:"source"` // "steps comment" or "period"
	Steps          int         `json:"steps"`  // steps the figures are averaged over
	KernelsPerStep int         `json:"kernels_per_step"`
	StepNS         float64     `json:"step_ns"`           // kernel time per step: GPU busy, gaps excluded
	WallNS         float64     `json:"wall_ns,omitempty"` // wall time per step from a benchmark, when known
	ByKind         []TimeShare `json:"by_kind"`           // biggest first
	Top            []TimeShare `json:"top"`               // every kernel name, biggest first
}

// Summarize finds one training step in a profile and sums its kernels'
// time by kind and by name. With f.Steps (a "# steps=N" line) all
// kernels are that many steps; otherwise the step is the period of the
// profile's end (StepPeriod, at most maxPeriod kernels) and the figures
// are averaged over the full periods it repeats.
func Summarize(f KernelFile, maxPeriod int) (StepProfile, error) {
	var p StepProfile
	kernels := f.Kernels
	if f.Steps > 0 {
		p.Source, p.Steps = "steps comment", f.Steps
		p.KernelsPerStep = int(math.Round(float64(len(kernels)) / float64(f.Steps)))
	} else {
		names := make([]string, len(kernels))
		for i, k := range kernels {
			names[i] = k.Name
		}
		period, repeats := tailPeriod(names, maxPeriod)
		if period == 0 {
			return p, fmt.Errorf("no training step found: the last kernels do not repeat with a period of at most %d of %d kernels (give a '# steps=N' line, or a larger max period)", maxPeriod, len(kernels))
		}
		p.Source, p.Steps, p.KernelsPerStep = "period", repeats, period
		kernels = kernels[len(kernels)-repeats*period:]
	}
	if len(kernels) == 0 {
		return p, errors.New("no kernels")
	}
	p.WallNS = f.WallMS * 1e6
	steps := float64(p.Steps)
	byKind, byName := map[string]*TimeShare{}, map[string]*TimeShare{}
	add := func(m map[string]*TimeShare, key string, ns float64) {
		t := m[key]
		if t == nil {
			t = &TimeShare{Name: key}
			m[key] = t
		}
		t.Kernels += 1 / steps
		t.NS += ns / steps
	}
	for _, k := range kernels {
		p.StepNS += k.DurationNS / steps
		add(byKind, Kind(k.Name), k.DurationNS)
		add(byName, k.Name, k.DurationNS)
	}
	p.ByKind, p.Top = sortedShares(byKind, p.StepNS), sortedShares(byName, p.StepNS)
	return p, nil
}

// sortedShares fills in the shares and sorts by time, biggest first.
func sortedShares(m map[string]*TimeShare, total float64) []TimeShare {
	out := make([]TimeShare, 0, len(m))
	for _, t := range m {
		if total > 0 {
			t.Share = t.NS / total
		}
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].NS != out[j].NS {
			return out[i].NS > out[j].NS
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// maxNameLen shortens kernel names in the table (C++ template names run to
// kilobytes); the JSON keeps them whole.
const maxNameLen = 100

// WriteKernelTable prints profiles side by side: GPU time and kernels per
// step (with the wall time and the gap, wall minus GPU busy, where WallNS
// is set), then one row per kind with each profile's ms/step and share,
// then each profile's top kernels by time per step.
func WriteKernelTable(w io.Writer, labels []string, profs []StepProfile, top int) error {
	if len(labels) != len(profs) {
		return fmt.Errorf("bench: %d labels for %d profiles", len(labels), len(profs))
	}
	// Numbers align right; the first column is padded to read left-aligned.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	const first = "%-24s"
	row := func(name string, cell func(p StepProfile) string) {
		fmt.Fprintf(tw, first, name)
		for _, p := range profs {
			fmt.Fprint(tw, "\t", cell(p))
		}
		fmt.Fprint(tw, "\t\n")
	}
	ms := func(ns float64) string { return fmt.Sprintf("%.3f", ns/1e6) }
	fmt.Fprintln(w, "GPU time per training step (kernel durations summed: GPU busy, gaps between kernels excluded)")
	fmt.Fprintf(tw, first, "")
	for _, l := range labels {
		fmt.Fprint(tw, "\t", l)
	}
	fmt.Fprint(tw, "\t\n")
	row("step found by", func(p StepProfile) string { return p.Source })
	row("steps averaged", func(p StepProfile) string { return strconv.Itoa(p.Steps) })
	row("kernels per step", func(p StepProfile) string { return strconv.Itoa(p.KernelsPerStep) })
	row("GPU ms/step", func(p StepProfile) string { return ms(p.StepNS) })
	wall := false
	for _, p := range profs {
		wall = wall || p.WallNS > 0
	}
	if wall {
		orDash := func(p StepProfile, v float64) string {
			if p.WallNS <= 0 {
				return "-"
			}
			return ms(v)
		}
		row("wall ms/step", func(p StepProfile) string { return orDash(p, p.WallNS) })
		row("gap ms/step (wall - GPU)", func(p StepProfile) string { return orDash(p, p.WallNS-p.StepNS) })
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nGPU time per step by kind (ms, share of GPU time, kernels)")
	fmt.Fprintf(tw, first, "kind")
	for _, l := range labels {
		fmt.Fprintf(tw, "\t%s ms\tshare\tn", l)
	}
	fmt.Fprint(tw, "\t\n")
	for _, kind := range kindOrder(profs) {
		fmt.Fprintf(tw, first, kind)
		for _, p := range profs {
			if t, ok := find(p.ByKind, kind); ok {
				fmt.Fprintf(tw, "\t%s\t%.1f%%\t%s", ms(t.NS), 100*t.Share, count(t.Kernels))
			} else {
				fmt.Fprint(tw, "\t-\t-\t-")
			}
		}
		fmt.Fprint(tw, "\t\n")
	}
	fmt.Fprintf(tw, first, "total")
	for _, p := range profs {
		fmt.Fprintf(tw, "\t%s\t100.0%%\t%d", ms(p.StepNS), p.KernelsPerStep)
	}
	fmt.Fprint(tw, "\t\n")
	if err := tw.Flush(); err != nil {
		return err
	}

	for i, p := range profs {
		n := min(top, len(p.Top))
		if n <= 0 {
			continue
		}
		fmt.Fprintf(w, "\ntop %d kernels of %s by GPU time per step\n", n, labels[i])
		fmt.Fprint(tw, "ms\tshare\tn\t  kind         name\n")
		for _, t := range p.Top[:n] {
			fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t  %-12s %s\n", ms(t.NS), 100*t.Share, count(t.Kernels), Kind(t.Name), shorten(t.Name))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// kindOrder lists the kinds of all profiles: the first profile's by time,
// then kinds only later profiles have.
func kindOrder(profs []StepProfile) []string {
	var kinds []string
	seen := map[string]bool{}
	for _, p := range profs {
		for _, t := range p.ByKind {
			if !seen[t.Name] {
				seen[t.Name] = true
				kinds = append(kinds, t.Name)
			}
		}
	}
	return kinds
}

func find(ts []TimeShare, name string) (TimeShare, bool) {
	for _, t := range ts {
		if t.Name == name {
			return t, true
		}
	}
	return TimeShare{}, false
}

// count prints launches per step: whole when whole.
func count(n float64) string {
	if math.Abs(n-math.Round(n)) < 1e-9 {
		return strconv.Itoa(int(math.Round(n)))
	}
	return strconv.FormatFloat(n, 'f', 2, 64)
}

func shorten(name string) string {
	if r := []rune(name); len(r) > maxNameLen {
		return string(r[:maxNameLen-3]) + "..."
	}
	return name
}
