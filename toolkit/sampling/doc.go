// Package sampling draws the training examples of each epoch: the study's
// sampling_strategy. A Sampler returns indices into the training labels
// (imbalanced-learn's sample_indices_), never copies of the data, and is
// applied to the training data only; validation data are never resampled.
//
// The strategies, by registry name (Known):
//
//   - "none" (or ""): every training index once, shuffled.
//   - "weighted": weighted random sampling as torchsampler's
//     ImbalancedDatasetSampler does it: each sample weighs 1/n_c (or
//     1/sqrt(n_c) with Options.Weight "inverse_sqrt"), and N = len(labels)
//     draws are made with replacement, so each class is drawn about N/C
//     times in expectation.
//   - "oversampling": random oversampling (imbalanced-learn's
//     RandomOverSampler): every index once, plus random draws with
//     replacement from each class until it reaches the majority count.
//   - "undersampling": random undersampling (RandomUnderSampler): each
//     class drawn without replacement down to the minority count.
//
// Every sampler is deterministic for a given (seed, epoch) and differs
// across epochs; its output order is shuffled, ready to be batched as is.
// ClassCounts gives the drawn class counts of an epoch, which the run log
// records (runlog.Results.SampledClassCounts).
//
// StratifiedKFold splits the training labels into K seeded, stratified
// train/valid folds for cross-validated search.
package sampling
