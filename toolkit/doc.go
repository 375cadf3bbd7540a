// Package toolkit is debiaser's front door: a fluent Experiment builder over
// one typed config.Config (the study's var_dict), that loads the data,
// builds the sampler, transforms, model, loss and optimizer, trains on
// GoMLX and writes the run's JSON log.
//
//	res, err := toolkit.New().
//		Dataset("mnist-lt").
//		ImageSize(28).Normalize(0.5, 0.5).
//		Sampling("weighted").
//		Model("small_cnn", false, true).
//		Loss("CB", "focal").Gamma(2).
//		Optimizer("Adam", 1e-3).
//		Epochs(5).
//		Note("weighted + CB focal").
//		Run(ctx)
//
// Builder methods mirror the study's functions (load_image, transformer,
// load_model, load_loss, load_optimizer, train); Set sets any var_dict key
// by name. Errors are kept and returned by Run (or Config); MustRun panics
// instead, for notebooks.
package toolkit
