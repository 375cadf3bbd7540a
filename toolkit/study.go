package toolkit

import (
	gocontext "context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// Method is one row of the study's results: its name (the run's note) and
// what it changes in the base recipe.
type Method struct {
	Name  string
	Apply func(*Experiment) *Experiment
}

// StudyMethods are the study's baseline and twelve debiasing methods, in
// the order of its results slide.
func StudyMethods() []Method {
	loss := func(family, typ string) func(*Experiment) *Experiment {
		return func(e *Experiment) *Experiment { return e.Loss(family, typ) }
	}
	sampling := func(s string) func(*Experiment) *Experiment {
		return func(e *Experiment) *Experiment { return e.Sampling(s) }
	}
	reg := func(s string, v float64) func(*Experiment) *Experiment {
		return func(e *Experiment) *Experiment { return e.Regularize(s, v) }
	}
	return []Method{
		{"baseline", func(e *Experiment) *Experiment { return e }},
		{"oversampling", sampling(config.SamplingOversampling)},
		{"weighted random sampling", sampling(config.SamplingWeighted)},
		{"undersampling", sampling(config.SamplingUndersampling)},
		{"CB BCE sigmoid", loss("CB", "BCE_sigmoid")},
		{"CB BCE softmax", loss("CB", "BCE_softmax")},
		{"CB cross-entropy", loss("CB", "CE")},
		{"focal", func(e *Experiment) *Experiment { return e.Loss("CB", "focal").Gamma(2) }},
		{"MFE", loss("MFE", "MFE")},
		{"MSFE", loss("MFE", "MSFE")},
		{"MaxNorm", reg(config.RegMaxNorm, 0.5)},
		{"weight decay", reg(config.RegWeightDecay, 0.001)},
		{"L2 normalization", reg(config.RegL2Norm, 0)},
	}
}

// ExtraMethods are methods the study lacked, which RunStudy runs when
// StudyOptions.Methods names them (the default is the study's 13): the
// logit-adjusted loss of Menon et al. 2021 (loss_family LA, tau 1), and
// the class-balanced cross-entropy with deferred re-weighting of Cao et
// al. 2019 (class weights in the last fifth of the epochs: drw_epoch
// 4/5 of epochs, at least 1; their schedule, 160 of 200), and their LDAM
// loss on a cosine head with the same deferred weights (ENS, beta 0.9999,
// their choice); and their deferred re-sampling (weighted random sampling
// in the same last fifth).
func ExtraMethods() []Method {
	drw := func(c *config.Config) { c.DRWEpoch = max(1, c.Epochs*4/5) }
	drs := func(c *config.Config) { c.DRSEpoch = max(1, c.Epochs*4/5) }
	return []Method{
		{"logit adjustment", func(e *Experiment) *Experiment { return e.Loss("LA", "CE").Tau(1) }},
		{"CB cross-entropy DRW", func(e *Experiment) *Experiment { return e.Loss("CB", "CE").set(drw) }},
		{"deferred re-sampling", func(e *Experiment) *Experiment { return e.Sampling(config.SamplingWeighted).set(drs) }},
		{"LDAM-DRW", func(e *Experiment) *Experiment {
			return e.Loss("CB", "LDAM").Weighting("ENS", 0.9999).set(drw)
		}},
	}
}

// Names that stand for groups of methods in StudyOptions.Methods.
const (
	MethodsStudy = "study" // the study's 13 (StudyMethods)
	MethodsExtra = "extra" // the methods beyond it (ExtraMethods)
)

// StudyOptions say where RunStudy writes and which methods it runs.
type StudyOptions struct {
	LogDir string // one log per method, named after it; required
	// Methods names the methods to run, of StudyMethods and ExtraMethods,
	// or MethodsStudy and MethodsExtra for their groups (each method once);
	// empty: the study's 13.
	Methods  []string
	Backend  backends.Backend
	Progress io.Writer // per-method lines; nil: silent
	Verbose  bool      // also every run's own progress lines
	// Parallel runs up to this many methods at once on the one backend
	// (<= 1: one after the other). On a GPU, one run's graph compiles
	// (host CPU) then overlap another's training steps, and small batches
	// share the device. Each run's log is the same as when run alone; the
	// compiles can then only be counted for the whole study.
	Parallel int
}

// StudyRow is one method's run.
type StudyRow struct {
	Method  string
	LogPath string
	Log     *runlog.Log
	Seconds float64 // wall time of the run; 0 when its log was already finished
	Skipped bool    // an earlier finished log was kept
	// Compiles and CompileSeconds: the graphs the backend compiled during
	// the run and the time that took (part of Seconds); Reused: graphs that
	// got a program an earlier run compiled (XLA's program cache).
	Compiles       int
	CompileSeconds float64
	Reused         int
}

// StudyResult is the whole study: rows in method order and the wall time.
type StudyResult struct {
	Rows           []StudyRow
	Seconds        float64
	Backend        string
	Compiles       int     // graphs compiled by the whole study
	CompileSeconds float64 // time spent compiling them
	Reused         int     // graphs that reused a program compiled for another run instead
	// CompilesByName groups them by graph name (train step, eval step,
	// variable initialisation, augmentation).
	CompilesByName []CompileEntry
}

// RunStudy trains the base recipe once per method on one backend (made
// once, so compiled graphs of equal shape are reused where the backend
// caches them) and on data loaded once. Methods whose log in LogDir is
// already finished are skipped, so an interrupted study resumes.
func RunStudy(ctx gocontext.Context, base config.Config, o StudyOptions) (*StudyResult, error) {
	if o.LogDir == "" {
		return nil, &config.FieldError{Key: "logdir", Reason: "RunStudy needs a folder for the run logs"}
	}
	methods, err := pickMethods(o.Methods)
	if err != nil {
		return nil, err
	}
	if err := base.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	start := time.Now()
	split, err := LoadData(base)
	if err != nil {
		return nil, err
	}
	backend, info, err := useOrSelect(o.Backend, base.Backend)
	if err != nil {
		return nil, err
	}
	var stats CompileStats
	backend = WithCompileStats(backend, &stats)
	// The methods train on the same data with the same transforms: the
	// validation batches and the device augmenter's upload are made once.
	inputs := newRunInputs()
	defer inputs.close()
	res := &StudyResult{Backend: info}
	fmt.Fprintf(progress, "%s\n%d methods, %d train / %d valid images, %s at %d, %d epochs, precision %s\n",
		info, len(methods), split.Train.Len(), split.Valid.Len(), base.ModelName, base.ImageSize, base.Epochs, base.Precision)
	if n := len(split.Skipped); n > 0 {
		fmt.Fprintf(progress, "skip_bad_files: left out %d unreadable file(s), listed in each log's run.skipped_files (first: %v)\n", n, split.Skipped[0])
	}
	parallel := max(o.Parallel, 1)
	if parallel > 1 {
		fmt.Fprintf(progress, "%d methods at a time\n", parallel)
	}
	var mu sync.Mutex // guards progress and the first error
	out := &lockedWriter{w: progress, mu: &mu}
	rows := make([]StudyRow, len(methods))
	done := make([]bool, len(methods))
	runCtx, cancel := gocontext.WithCancel(ctx)
	defer cancel()
	var firstErr error
	runOne := func(i int) {
		if runCtx.Err() != nil {
			return // an earlier method failed, or the study was interrupted
		}
		m := methods[i]
		path := filepath.Join(o.LogDir, strings.ReplaceAll(m.Name, " ", "_")+".json")
		row := StudyRow{Method: m.Name, LogPath: path}
		if l, err := runlog.Read(path); err == nil && l.Run != nil && l.Run.Status == runlog.StatusFinished {
			row.Log, row.Skipped = l, true
			rows[i], done[i] = row, true
			fmt.Fprintf(out, "%-26s already done\n", m.Name)
			return
		}
		t0, c0, d0, r0 := time.Now(), stats.Count(), stats.Duration(), stats.Reused()
		e := m.Apply(FromConfig(base)).Datasets(split.Train, split.Valid).UseBackend(backend).Note(m.Name).LogPath(path)
		e.skipped = split.Skipped
		e.inputs = inputs
		if o.Verbose {
			var w io.Writer = out
			if parallel > 1 {
				w = &prefixWriter{w: out, prefix: m.Name + ": "}
			}
			e = e.Verbose(w)
		}
		r, err := e.Run(runCtx)
		r.Free() // the study keeps the log only
		row.Seconds = time.Since(t0).Seconds()
		if parallel == 1 {
			row.Compiles, row.CompileSeconds = stats.Count()-c0, (stats.Duration() - d0).Seconds()
			row.Reused = stats.Reused() - r0
		}
		if r != nil {
			row.Log = r.Log
		}
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("study: %s: %w", m.Name, err)
				cancel()
			}
			mu.Unlock()
			return
		}
		rows[i], done[i] = row, true
		acc := r.Log.Results.ValidAccuracy
		compiles := fmt.Sprintf("%d compiles, %.1f s", row.Compiles, row.CompileSeconds)
		if row.Reused > 0 {
			compiles += fmt.Sprintf(", %d reused", row.Reused)
		}
		if parallel > 1 {
			compiles = "compiles counted for the study"
		}
		fmt.Fprintf(out, "%-26s %3d epochs  valid accuracy %.4f  %6.1f s (%s)\n",
			m.Name, len(acc), acc[len(acc)-1], row.Seconds, compiles)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, len(methods)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				runOne(i)
			}
		}()
	}
	for i := range methods {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i := range rows {
		if done[i] {
			res.Rows = append(res.Rows, rows[i])
		}
	}
	if firstErr != nil {
		return res, firstErr
	}
	// Interrupted between two methods: not every method ran.
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("study: %d of %d methods done: %w", len(res.Rows), len(methods), err)
	}
	res.Seconds = time.Since(start).Seconds()
	res.Compiles, res.CompileSeconds, res.Reused = stats.Count(), stats.Duration().Seconds(), stats.Reused()
	res.CompilesByName = stats.ByName()
	reused := ""
	if res.Reused > 0 {
		reused = fmt.Sprintf(" (%d more graphs reused a program compiled before)", res.Reused)
	}
	fmt.Fprintf(progress, "%d methods in %.1f s wall time (data loading included), %d compiles taking %.1f s of it%s\n",
		len(methods), res.Seconds, res.Compiles, res.CompileSeconds, reused)
	for _, c := range res.CompilesByName {
		reused := ""
		if c.Reused > 0 {
			reused = fmt.Sprintf(", reused %d times", c.Reused)
		}
		fmt.Fprintf(progress, "  compiled %-32q %3d times, %6.1f s%s\n", c.Name, c.Count, c.Seconds, reused)
	}
	return res, nil
}

// Logs returns the rows' run logs, in method order.
func (r *StudyResult) Logs() []*runlog.Log {
	logs := make([]*runlog.Log, 0, len(r.Rows))
	for _, row := range r.Rows {
		if row.Log != nil {
			logs = append(logs, row.Log)
		}
	}
	return logs
}

// lockedWriter serialises writes of concurrent runs (each Write is one
// line or one table row).
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter starts every line of one run's progress with its method,
// so the lines of runs in parallel can be told apart.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	text := strings.TrimLeft(string(b), "\r")
	if text == "" {
		return len(b), nil
	}
	if _, err := io.WriteString(p.w, p.prefix+text); err != nil {
		return 0, err
	}
	return len(b), nil
}

// pickMethods returns the methods names asks for (StudyOptions.Methods):
// the study's 13 when it is empty.
func pickMethods(names []string) ([]Method, error) {
	if len(names) == 0 {
		return StudyMethods(), nil
	}
	known := append(StudyMethods(), ExtraMethods()...)
	var picked []Method
	for _, name := range names {
		switch name {
		case MethodsStudy:
			picked = append(picked, StudyMethods()...)
			continue
		case MethodsExtra:
			picked = append(picked, ExtraMethods()...)
			continue
		}
		i := slices.IndexFunc(known, func(m Method) bool { return m.Name == name })
		if i < 0 {
			names := make([]string, len(known))
			for k, m := range known {
				names[k] = m.Name
			}
			return nil, &config.FieldError{Key: "methods", Reason: fmt.Sprintf("unknown method %q (methods: %s; %q: the study's 13, %q: those beyond it)", name, strings.Join(names, ", "), MethodsStudy, MethodsExtra)}
		}
		picked = append(picked, known[i])
	}
	for i, m := range picked {
		if slices.ContainsFunc(picked[:i], func(p Method) bool { return p.Name == m.Name }) {
			return nil, &config.FieldError{Key: "methods", Reason: fmt.Sprintf("method %q named twice", m.Name)}
		}
	}
	return picked, nil
}
