// Package losses holds the study's loss functions (its load_loss) as GoMLX
// graph code: the baseline cross-entropy, the class-balanced (CB) losses of
// Cui et al. 2019 and the mean (squared) false error of Wang et al. 2016;
// beyond the study, the logit-adjusted loss (LA) of Menon et al. 2021 and
// the label-distribution-aware margin loss (CB LDAM) of Cao et al. 2019.
//
// A Config (JSON keys loss_family, loss_type, weighting, beta, gamma, tau,
// ldam_margin, ldam_scale, as in config.Config; FromConfig takes them from
// a run configuration) selects one loss; New turns it into a train.LossFn for train.NewTrainer, and
// Evaluate computes it for plain Go slices with the same graph code (Build).
//
// # Class weights
//
// ClassWeights uses the per-class counts n_c of the whole training set:
// INS 1/n_c, ISNS 1/sqrt(n_c), ENS (1-beta)/(1-beta^n_c), none 1; then
// normalises them to sum to the number of classes C (Cui et al.'s code).
// A sample's weight is s_i = w[y_i].
//
// # Losses, on logits z [N, C], labels y, one-hot t
//
//	baseline          mean_i CE(z_i, y_i)                     (loss_type, weighting ignored)
//	CB CE             mean_i s_i CE(z_i, y_i)
//	CB BCE_sigmoid    mean_{i,c} s_i BCEWithLogits(z_ic, t_ic)
//	CB BCE_softmax    mean_{i,c} s_i BCE(softmax(z_i)_c, t_ic)
//	CB focal          mean_i sum_c s_i (1 - p_ic)^gamma BCEWithLogits(z_ic, t_ic)
//	MFE MFE / MSFE    sum_c E_c  /  sum_c E_c^2
//	LA CE             mean_i CE(z_i + tau log(pi), y_i)          (pi_c = n_c / sum n)
//	CB LDAM           mean_i s_i CE(z_i - s m_{y_i} t_i, y_i)    (m_c = M (n_min/n_c)^(1/4))
//
// where p_ic = sigmoid(z_ic) if t_ic = 1 else 1 - sigmoid(z_ic) (torchvision's
// sigmoid_focal_loss with alpha off), E_c is the mean over the batch's
// samples of class c of e_i = sum_k 1/2 (t_ik - softmax(z_i)_k)^2, and
// classes absent from the batch add nothing.
//
// LDAM's logits are those of a cosine classifier, z = s cos (the models
// pair loss_type LDAM with that head; s is ldam_scale, M ldam_margin), so
// the loss is Cao et al.'s F.cross_entropy(s (cos - m_y t)), and the
// class probabilities a run reports are softmax(z).
//
// Choices worth knowing:
//   - CB with weighting "none" gives every class weight 1: that is how the
//     focal loss without class weights is selected (CB + CE + none equals
//     the baseline). An empty weighting means ENS.
//   - CB CE is mean_i s_i CE_i, as Cui et al. define it; PyTorch's
//     F.cross_entropy(weight=w) would divide by sum_i s_i instead.
//   - All logarithms are in log-sum-exp / softplus form; the focal factor
//     is exp(-gamma softplus(-u)), u = z(1 - 2t). Losses and gradients stay
//     finite for logits of +-100 in float32. torchvision's focal loss has
//     NaN gradients where 1 - p_t underflows to 0 and gamma < 1; this one
//     does not. BCE_softmax differs from F.binary_cross_entropy only where
//     a probability is below e^-100 (PyTorch clamps log at -100).
//   - MFE/MSFE are built on probabilities (MeanFalseError, FalseErrors), so
//     Wang et al.'s worked example (0/1 predictions: 90 samples with 4 wrong,
//     10 with 5 wrong: MFE 0.544, MSFE 0.252) is tested at that level; the
//     training loss applies them to softmax(z). For two classes, sum_c E_c
//     is the paper's FPE + FNE.
//
// Tests compare every loss, weighting and logit gradient with PyTorch
// (testdata/fixture.json, made by testdata/gen_fixture.py) and with finite
// differences.
package losses
