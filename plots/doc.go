// Package plots draws the study's charts from run logs with gonum/plot.
//
// Every chart reads *runlog.Log values (loaded from files or built in
// memory), so the study's own logs, which lack the "run" object, work too:
// classes then come from the sorted keys of valid_precision and the best
// epoch is the epoch of lowest validation loss.
//
// Each chart function returns a *Figure: one or more gonum plots tiled with
// plot.Align, a shared legend drawn in a strip outside the data, and a
// preferred size. Render turns any Figure (or *plot.Plot) into PNG, SVG or
// PDF bytes, Save writes it to a file, and Display shows it inline in a GoNB
// notebook. DisplayTable shows a table inline as HTML (BaselineDeltas or
// runlog's summary table), and DisplaySummary builds and shows runlog's
// summary of many runs sorted by a chosen metric.
//
// One run: LossAccuracy, PerClass, ConfusionMatrix, ROC, PrecisionRecall,
// ClassCounts, and TransformGrid for before/after images; SaveAll writes
// them all to a folder. Many runs: MethodBars (grouped bars per method
// with the baseline and the change vs baseline in points), BaselineDeltas
// (the same numbers as a table), Scatter (per-class precision vs recall,
// one point per run), Overlay (a metric vs epoch across runs) and CVResults
// (mean +- std per parameter combination of a search); SaveAllRuns writes
// them to a folder. GroupedBars draws any numbers as grouped bars (class
// weights, loss values, final-layer norms per class), for what the run-log
// charts do not cover.
//
// Data and samplers, without a run: DatasetCounts (images per class,
// train vs valid, with the imbalance ratio), ClassImages (a grid of a few
// images per class), and SamplerCounts and SamplerTable (what each sampling
// strategy draws per epoch, from sampling.EpochCounts).
//
// Metrics are named as in runlog.Log.Series ("valid_accuracy",
// "valid_recall:Tulip", "valid_recall:minority", ...), so charts and the
// runlog summary table read the same names; ROC and precision-recall
// curves and their areas come from toolkit/metrics (scikit-learn's).
//
// Epochs are numbered as in the log, from 0. Rates (accuracy, precision,
// recall) are drawn in percent and changes in percentage points. Colours
// come from the Okabe-Ito palette, which stays distinct under the common
// forms of colour blindness; a class keeps its colour in every chart.
//
// PNG and PDF carry gonum's bundled Liberation fonts; SVG names them
// without embedding (embedding costs about 0.5 MB a chart), so a viewer
// lacking them substitutes a similar font, and the legend strip keeps some
// slack for that.
package plots
