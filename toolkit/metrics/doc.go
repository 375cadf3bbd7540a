// Package metrics computes the classification metrics of the study and the
// curves behind its plots, in pure Go.
//
// Compute turns true and predicted labels into a Report: accuracy, balanced
// accuracy, per-class precision, recall, F1 and support, the confusion
// matrix, and three averages of precision and recall, each clearly named:
//
//   - macro: the plain mean over classes;
//   - weighted: weighted by support n_c, as scikit-learn's "weighted";
//   - inverse_weighted: the study's "weighted" average, which weights each
//     class by 1/n_c so that rare classes count most:
//     sum_c(m_c/n_c) / sum_c(1/n_c).
//
// The study's slides work the inverse-weighted average on precisions 0.7,
// 0.8 and 0.3 with supports 30, 20 and 10 and print 0.4, but the formula
// gives (0.7/30 + 0.8/20 + 0.3/10) / (1/30 + 1/20 + 1/10) = 0.0933/0.1833
// = 0.509. This package follows the formula (see ExampleInverseWeighted).
//
// Accuracy is correct predictions divided by the number of samples. The
// study's accuracies fit correct / (batches x batch size), which undercounts
// when the last batch is short; this package does not repeat that.
//
// Zero division gives 0, as scikit-learn's default: a class never predicted
// has precision 0, a class absent from yTrue has recall 0, and both count
// in the macro average (scikit-learn with labels=range(numClasses)).
//
// ROCCurve, PRCurve, ROCAUC and AveragePrecision follow scikit-learn 1.2's
// roc_curve, precision_recall_curve, roc_auc_score and
// average_precision_score one-vs-rest, ties included; the tests compare
// them with values scikit-learn wrote (testdata/gen_sklearn_fixture.py).
package metrics
