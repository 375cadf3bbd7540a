//go:build xla

package toolkit

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/internal/offlinexla"
	"github.com/debiaser/debiaser/toolkit/losses"
	"github.com/debiaser/debiaser/toolkit/models"
	"github.com/debiaser/debiaser/toolkit/optim"
	"github.com/debiaser/debiaser/toolkit/progcache"
	"github.com/debiaser/debiaser/toolkit/sampling"
	"github.com/debiaser/debiaser/toolkit/train"
	"github.com/debiaser/debiaser/toolkit/xlafix"
)

// studyPrograms builds, on the offline XLA backend, the study's programs
// for each method as a run makes them (the method's model, loss and
// optimizer; its epoch's full and last partial batch, the validation
// set's), and returns their program-cache keys by method and step
// ("train", "eval", "eval loss"; "train partial" and "eval loss partial"
// for the last batches). The training
// step is MultiStep's single step (what a run's first step builds); an
// evaluation step is the model in inference mode, then the loss and the
// probabilities of its logits, as train.Run's.
func studyPrograms(t *testing.T, base config.Config) map[string]map[string]string {
	t.Helper()
	split, err := LoadData(base)
	if err != nil {
		t.Fatal(err)
	}
	ds := split.Train
	keys := map[string]map[string]string{}
	for _, m := range StudyMethods() {
		cfg, err := m.Apply(FromConfig(base)).Config()
		if err != nil {
			t.Fatal(err)
		}
		cfg.NClass = len(ds.Classes)
		sampler, err := sampling.New(cfg.SamplingStrategy, sampling.Options{Weight: cfg.SamplingWeight})
		if err != nil {
			t.Fatal(err)
		}
		idx, err := sampler.Indices(ds.Labels, len(ds.Classes), 0, cfg.Seed)
		if err != nil {
			t.Fatal(err)
		}
		lossFn, err := losses.New(losses.FromConfig(cfg), ds.Counts())
		if err != nil {
			t.Fatal(err)
		}
		opt, err := optim.New(cfg, (len(idx)+cfg.BatchSize-1)/cfg.BatchSize)
		if err != nil {
			t.Fatal(err)
		}
		model, err := models.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		keys[m.Name] = map[string]string{}
		var step string
		record := func(b backends.Builder, outputs []backends.Op) (string, bool) {
			k, ok := progcache.StableHLOKey(b, outputs)
			if !ok {
				t.Fatalf("%s %s: no key", m.Name, step)
			}
			keys[m.Name][step] = k
			return k, ok
		}
		b := xlafix.Wrap(progcache.Wrap(offlinexla.Capture(offlinexla.New(t)), progcache.New(0, record)))
		ctx := context.New()
		size := cfg.ImageSize
		var logits shapes.Shape // the evaluation forward program's output
		// Training batches follow the method's epoch (its sampler), the
		// evaluation batches the validation set.
		for _, batch := range []struct {
			suffix      string
			train, eval int
		}{{"", cfg.BatchSize, cfg.BatchSize}, {" partial", len(idx) % cfg.BatchSize, split.Valid.Len() % cfg.BatchSize}} {
			inputs := func(g *graph.Graph, n int) []*graph.Node {
				return []*graph.Node{
					graph.Parameter(g, "images", shapes.Make(dtypes.Float32, n, size, size, 3)),
					graph.Parameter(g, "labels", shapes.Make(dtypes.Int32, n, 1)),
				}
			}
			if batch.train > 0 {
				step = "train" + batch.suffix
				offlinexla.Program(t, b, step, func(g *graph.Graph) []*graph.Node {
					out := func(_ *context.Context, loss *graph.Node, p []*graph.Node) *graph.Node {
						return train.LossAnd(loss, graph.ArgMax(p[0], -1))
					}
					return []*graph.Node{train.MultiStep(model.Fn, lossFn, opt, 1, out)(ctx.Checked(false), inputs(g, batch.train))}
				})
			}
			if batch.suffix == "" && cfg.Full {
				step = "eval"
				offlinexla.Program(t, b, step, func(g *graph.Graph) []*graph.Node {
					ectx := ctx.Checked(false)
					ectx.SetTraining(g, false)
					out := model.Fn(ectx, nil, inputs(g, batch.eval)[:1])[0]
					logits = out.Shape()
					return []*graph.Node{out}
				})
			}
			if batch.suffix == "" && !cfg.Full {
				// A frozen backbone (train.Setup.Frozen): its features of a
				// validation batch (float32), once a run, then the head every
				// epoch.
				var features shapes.Shape
				step = "eval"
				offlinexla.Program(t, b, step, func(g *graph.Graph) []*graph.Node {
					ectx := ctx.Checked(false)
					ectx.SetTraining(g, false)
					out := graph.ConvertDType(model.BackboneFn(ectx, inputs(g, batch.eval)[0]), dtypes.Float32)
					features = out.Shape()
					return []*graph.Node{out}
				})
				step = "eval head"
				offlinexla.Program(t, b, step, func(g *graph.Graph) []*graph.Node {
					ectx := ctx.Checked(false)
					ectx.SetTraining(g, false)
					out := model.HeadFn(ectx, graph.Parameter(g, "features", features))
					logits = out.Shape()
					return []*graph.Node{out}
				})
			}
			if batch.eval > 0 {
				// The last validation batch is padded to a full one
				// (train.Setup.PadValid): the full batch's forward program,
				// then the loss of its first rows.
				step = "eval loss" + batch.suffix
				rows := 0
				if batch.suffix != "" {
					rows = batch.eval
				}
				offlinexla.Program(t, b, step, func(g *graph.Graph) []*graph.Node {
					x := graph.Parameter(g, "logits", logits)
					y := graph.Parameter(g, "labels", shapes.Make(dtypes.Int32, logits.Dimensions[0], 1))
					return []*graph.Node{train.EvalLoss(lossFn, rows, cfg.BatchSize)(x, y)}
				})
			}
		}
	}
	return keys
}

// The study's methods share the programs they have in common, and only
// those: all evaluate with one backbone program (the last validation
// batch is padded to a full one) and one head program, the sampling methods train with the baseline's step, the
// methods that keep the cross-entropy compute its loss with one program;
// each loss and each regulariser trains with a program of its own. A
// per-run value written into the graph (a seed, a count) would silently
// end the sharing; this catches it.
func TestStudyProgramsShared(t *testing.T) {
	base := config.Defaults()
	base.Dataset, base.ModelName, base.Pretrained, base.ImageSize, base.Precision = "shapes-study", "resnet18", false, 32, "bfloat16"
	keys := studyPrograms(t, base)
	baseline := keys["baseline"]
	sampling := []string{"oversampling", "weighted random sampling", "undersampling"}
	regularisers := []string{"MaxNorm", "weight decay", "L2 normalization"}
	total, distinct, large := 0, map[string]bool{}, map[string]bool{}
	for _, m := range StudyMethods() {
		for step, k := range keys[m.Name] {
			total++
			distinct[k] = true
			if !strings.HasPrefix(step, "eval loss") && step != "eval head" {
				large[k] = true
			}
		}
		for _, step := range []string{"eval", "eval head"} {
			if keys[m.Name][step] == "" || keys[m.Name][step] != baseline[step] {
				t.Errorf("%s: %s is not the baseline's", m.Name, step)
			}
		}
		if _, ok := keys[m.Name]["eval partial"]; ok {
			t.Errorf("%s: a forward program for the partial validation batch", m.Name)
		}
		crossEntropy := m.Name == "baseline" || slices.Contains(sampling, m.Name) || slices.Contains(regularisers, m.Name)
		if got := keys[m.Name]["eval loss"] == baseline["eval loss"]; got != crossEntropy {
			t.Errorf("%s: evaluation loss shared with the baseline %v, want %v", m.Name, got, crossEntropy)
		}
		shares := m.Name == "baseline" || slices.Contains(sampling, m.Name)
		if got := keys[m.Name]["train"] == baseline["train"]; got != shares {
			t.Errorf("%s: training step shared with the baseline %v, want %v", m.Name, got, shares)
		}
	}
	if keys["weighted random sampling"]["train partial"] != baseline["train partial"] {
		t.Error("weighted random sampling (the baseline's epoch size) does not share its partial batch's step")
	}
	t.Logf("%d methods: %d programs, %d distinct; of those with the backbone (training steps, evaluation's features) %d distinct", len(keys), total, len(distinct), len(large))
}
