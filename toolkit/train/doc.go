// Package train runs one training run end to end: per-epoch sampling of
// the training set, GoMLX train steps, evaluation of the validation set,
// metrics, early stopping, checkpoints, and the run log rewritten
// atomically after every epoch, so a killed run keeps every finished epoch.
//
// It is the study's train(dict_model, dict_loss, dict_optimizer,
// dict_dataloader, epochs, verbose, note, log_id). The pieces (model,
// loss, optimizer, sampler, batcher) are passed in already built; the root
// toolkit package builds them from a config.Config.
//
// Train metrics and the log's y.train come from the predictions made
// during the epoch's training steps over the samples the sampler drew (as
// the study recorded them); validation metrics come from one pass over
// every validation sample in inference mode. Accuracies divide by the
// number of samples, including a short last batch.
//
// The input pipeline does not wait on the model: the next training batch
// is made on a goroutine while the current step trains (the batcher's
// output depends only on indices, epoch and position, so a run is the
// same as making batches one by one; tested). Validation batches are made
// in line.
package train
