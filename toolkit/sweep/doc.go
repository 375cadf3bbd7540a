// Package sweep runs the study's manual_opt: a grid over any config fields
// crossed with K stratified folds of the training data, one ordinary run
// log per trial (combination x fold) in a search folder with a manifest.
//
// A search is resumable (finished trials are skipped, half-written ones
// redone, a changed grid or data fingerprint refused) and can be split
// into shares run by separate processes or machines (Slurm job arrays,
// Kubernetes Indexed Jobs): each share runs trials i with i mod count ==
// index, all write into one folder, and Collect merges them into a table
// of mean and standard deviation over folds per combination, with the best
// combination by a chosen metric.
package sweep
