// Package optim builds the study's optimizers (its load_optimizer) for
// GoMLX: Adam or SGD (with PyTorch-style momentum), a learning-rate
// schedule, gradient clipping by global norm, and the regularisation
// strategies compared in the study (reg_strategy):
//
//	none     plain optimizer; weight_decay is ignored, as in the study
//	wei_dec  weight decay lambda = weight_decay
//	l2_norm  after every step, each class's weight vector of the final
//	         layer is rescaled to unit L2 norm (biases untouched)
//	maxnorm  after every step (or once per epoch), each class's weight
//	         vector whose norm exceeds thresh is projected back to thresh
//
// New(config.Config, stepsPerEpoch) returns an *Optimizer, which implements
// optimizers.Interface for train.NewTrainer. Everything happens inside the
// train step graph (see Optimizer); only the once-per-epoch MaxNorm
// (maxnorm_every "epoch") needs the training loop to call
// Optimizer.EndOfEpoch after each epoch.
//
// # The final layer
//
// Every model of the toolkit puts its classifier in the context scope
// ClassifierScope ("classifier"), as a dense layer: variables "weights"
// [features, n_class] and "biases" [n_class], found by ClassifierWeights
// whether directly in /classifier or nested (/classifier/dense, as
// layers.Dense makes it). GoMLX stores kernels as [in, out], so a class's
// weight vector, a row of PyTorch's Linear.weight, is a column here: norms
// are taken over axis 0.
//
// # Weight decay: penalty or decoupled
//
// The study's weight decay is an L2 penalty lambda sum ||W||^2 added to the
// loss (decoupled_weight_decay false, the default). Its gradient 2 lambda W
// then goes through the optimizer: with SGD it is PyTorch's coupled
// weight_decay = 2 lambda; with Adam it is rescaled per coordinate by
// Adam's second moment, so large-gradient weights decay less. Decoupled
// decay (decoupled_weight_decay true, AdamW, Loshchilov & Hutter) instead
// subtracts lr lambda W after the optimizer's step, the same shrinkage for
// every weight whatever its gradient history. Either way only kernels decay
// (Decays: trainable, rank >= 2); biases and batch-norm scale/offset
// (rank 1) and running statistics (not trainable) do not. The penalty is
// added with train.AddLoss, so the trainer's "loss+" metrics include it and
// its "loss" metrics do not. weight_decay also applies together with
// l2_norm or maxnorm when > 0 (Alshammari et al.'s weight balancing is
// weight decay plus MaxNorm).
//
// # MaxNorm threshold
//
// thresh is absolute, or with thresh_relative a fraction t: the threshold
// is min + t (max - min) of the class norms at the start of training
// (before the first step), as in Alshammari et al.'s code, recorded once in
// a context variable (see Optimizer.Threshold).
//
// # Learning rate
//
// scheduler "none", "step" (times lr_step_gamma, default 0.1, every
// lr_step_size epochs) or "cosine" (per step, to 0 at the last epoch);
// warmup_epochs adds a linear warm-up from lr/W to lr over the first W
// steps. The scheduled value is written to GoMLX's learning-rate variable
// (/optimizers/learning_rate) each step, so it can be logged.
//
// Adam uses PyTorch's epsilon 1e-8 and betas 0.9, 0.999. GoMLX's own SGD is
// not used: it has no momentum and divides the learning rate by
// sqrt(step).
package optim
