// Package runlog reads and writes the JSON log of one training run, and
// turns many logs into the study's table of runs.
//
// The layout is the study's: top-level keys note, date ("20230609-134532"),
// results, y and var_dict, with per-epoch lists in results (train/valid
// loss and accuracy, and precision and recall by class name) and every
// label of every epoch in y, keyed by the epoch number as a string. Extras
// the study lacked are clearly named additions: more per-epoch metrics in
// results (F1, balanced accuracy, the macro, support-weighted and
// inverse-weighted averages, confusion matrices, ROC AUC, average
// precision, sampled class counts, learning rate, epoch time) and a
// top-level "run" object (classes, class counts, files skipped as
// unreadable, status, stop reason, best
// epoch, backend and device, wall time, and where and when a resumed run
// continued). Logs written by the study's own Python
// package read fine: the extras are simply absent there.
//
// A training loop builds a Log with New, calls AddEpoch after every epoch
// and Write to rewrite the file atomically (temporary file, fsync, rename),
// so a killed run leaves a valid log with every finished epoch; Finish
// records why training stopped.
//
// Read accepts study logs: var_dict goes through config.Decode in lenient
// mode (null, 224.0, a scalar normalize_mean) and unknown var_dict keys are
// kept in Log.UnknownVarDictKeys; bare NaN and Infinity, which Python's
// json module writes for a diverged loss, read as NaN. Non-finite values
// are written as null. Malformed logs are rejected with an error naming the
// file and the key.
//
// Accuracies in the study's own logs are as the study computed them
// (correct / (batches x batch size), low when the last batch is short);
// they are read and shown as written. Logs from this toolkit divide by
// the number of samples (package metrics).
//
// Per-epoch values are found by name with (*Log).Series: "valid_loss",
// "valid_recall:Tulip", "valid_recall:minority", and the three averages,
// which are derived from the per-class values when a study log lacks them.
// Summarize builds the table of many runs, sorted by one such metric, and
// renders it as text, CSV, markdown or HTML; CompareToBaseline gives the
// change in points against a baseline run, as the study's results tables.
package runlog
