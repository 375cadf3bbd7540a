package bench

import (
	"bufio"
	"bytes"
	gocontext "context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// TorchResult is one RESULT line of the PyTorch anchor script.
type TorchResult struct {
	Mode      string  `json:"mode"` // fp32, fp32_cl, bf16_cl
	Batch     int     `json:"batch"`
	FirstStep float64 `json:"first_step_s"`
	MsEnd     float64 `json:"ms_per_step_sync_end"`
	IPSEnd    float64 `json:"img_per_s_sync_end"`
	MsEach    float64 `json:"ms_per_step_sync_each"`
	IPSEach   float64 `json:"img_per_s_sync_each"`
}

// resultLine matches the script's
//
//	RESULT torch fp32     b64   first step   1.23s |   10.00 ms/step ->   6400.0 img/s (sync at end) |   11.00 ms/step ->   5818.2 img/s (sync per step) | ...
var resultLine = regexp.MustCompile(`^RESULT torch\s+(\S+)\s+b(\d+)\s+first step\s+([\d.]+)s\s+\|\s+([\d.]+) ms/step ->\s+([\d.]+) img/s \(sync at end\)\s+\|\s+([\d.]+) ms/step ->\s+([\d.]+) img/s \(sync per step\)`)

// ParseTorch reads the anchor script's output: its RESULT lines, and the
// other lines (versions, device) as the header.
func ParseTorch(r io.Reader) (results []TorchResult, header []string, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "RESULT torch") {
			if line != "" && !strings.HasPrefix(line, "SUMMARY") && len(results) == 0 {
				header = append(header, line)
			}
			continue
		}
		m := resultLine.FindStringSubmatch(line)
		if m == nil {
			return results, header, fmt.Errorf("bench: unreadable PyTorch result line %q", line)
		}
		f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v }
		b, _ := strconv.Atoi(m[2])
		results = append(results, TorchResult{Mode: m[1], Batch: b, FirstStep: f(3), MsEnd: f(4), IPSEnd: f(5), MsEach: f(6), IPSEach: f(7)})
	}
	return results, header, sc.Err()
}

// TorchOptions says how to run the anchor script.
type TorchOptions struct {
	Python string   // interpreter; default "python3"
	Script string   // path of torch_resnet18_bench.py
	Device string   // "cuda" (default) or "cpu"
	Args   []string // more flags, e.g. --modes fp32,bf16_cl
}

// RunTorch runs the PyTorch anchor with the batch sizes, image size, class
// count and step counts of o, and returns its results and whole output.
func RunTorch(ctx gocontext.Context, o Options, t TorchOptions) ([]TorchResult, string, error) {
	o = o.withDefaults()
	python := t.Python
	if python == "" {
		python = "python3"
	}
	batches := make([]string, len(o.Batches))
	for i, b := range o.Batches {
		batches[i] = strconv.Itoa(b)
	}
	args := []string{t.Script, "--batches", strings.Join(batches, ","), "--size", strconv.Itoa(o.Size),
		"--classes", strconv.Itoa(o.Classes), "--warmup", strconv.Itoa(o.Warmup), "--steps", strconv.Itoa(o.Steps)}
	if t.Device != "" {
		args = append(args, "--device", t.Device)
	}
	args = append(args, t.Args...)
	cmd := exec.CommandContext(ctx, python, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	results, _, perr := ParseTorch(bytes.NewReader(out.Bytes()))
	if runErr != nil {
		return results, out.String(), fmt.Errorf("bench: %s %s: %w\n%s", python, t.Script, runErr, tail(out.String(), 2000))
	}
	if perr != nil {
		return results, out.String(), perr
	}
	if len(results) == 0 {
		return nil, out.String(), fmt.Errorf("bench: %s printed no RESULT line:\n%s", t.Script, tail(out.String(), 2000))
	}
	return results, out.String(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Ratio compares the best of each side at one batch size (images/s, sync
// at end).
type Ratio struct {
	Batch     int     `json:"batch"`
	Ours      float64 `json:"ours_img_per_s"`
	OursWhat  string  `json:"ours_precision"`
	OursVar   string  `json:"ours_variant"`
	Torch     float64 `json:"torch_img_per_s"`
	TorchWhat string  `json:"torch_mode"`
	Ratio     float64 `json:"ratio"` // Ours / Torch
}

// Compare returns, per batch size both sides ran, our best over the
// precisions and variants divided by PyTorch's best over its modes.
func Compare(ours []Result, torch []TorchResult) []Ratio {
	best := map[int]*Ratio{}
	for _, r := range ours {
		q := best[r.Batch]
		if q == nil {
			q = &Ratio{Batch: r.Batch}
			best[r.Batch] = q
		}
		if r.IPSEnd > q.Ours {
			q.Ours, q.OursWhat, q.OursVar = r.IPSEnd, r.Precision, variantName(r.Variant)
		}
	}
	for _, t := range torch {
		if q := best[t.Batch]; q != nil && t.IPSEnd > q.Torch {
			q.Torch, q.TorchWhat = t.IPSEnd, t.Mode
		}
	}
	var out []Ratio
	for _, q := range best {
		if q.Torch > 0 {
			q.Ratio = q.Ours / q.Torch
			out = append(out, *q)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Batch < out[j].Batch })
	return out
}

// variantName is v, or VariantDefault when empty.
func variantName(v string) string {
	if v == "" {
		return VariantDefault
	}
	return v
}

// WriteReport prints both sides' results and the ratios as aligned text.
func WriteReport(w io.Writer, device string, ours []Result, torch []TorchResult, torchHeader []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "ours: %s\n", device)
	for _, h := range torchHeader {
		fmt.Fprintf(w, "torch: %s\n", h)
	}
	fmt.Fprintln(tw, "stack\tconfig\tbatch\tfirst step s\tms/step\timg/s (sync at end)\timg/s (sync per step)\t")
	for _, r := range ours {
		fmt.Fprintf(tw, "debiaser\t%s %s %s\t%d\t%.2f\t%.2f\t%.1f\t%.1f\t\n", r.Model, r.Precision, variantName(r.Variant), r.Batch, r.FirstStep, r.MsEnd, r.IPSEnd, r.IPSEach)
	}
	for _, t := range torch {
		fmt.Fprintf(tw, "pytorch\t%s\t%d\t%.2f\t%.2f\t%.1f\t%.1f\t\n", t.Mode, t.Batch, t.FirstStep, t.MsEnd, t.IPSEnd, t.IPSEach)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, q := range Compare(ours, torch) {
		fmt.Fprintf(w, "RATIO batch %d: debiaser %s (%s) %.1f img/s / pytorch %s %.1f img/s = %.3fx\n",
			q.Batch, q.OursWhat, q.OursVar, q.Ours, q.TorchWhat, q.Torch, q.Ratio)
	}
	return nil
}
