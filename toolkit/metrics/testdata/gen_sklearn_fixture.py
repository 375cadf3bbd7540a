#!/usr/bin/python3
"""Writes sklearn_fixture.json: scikit-learn's metrics on fixed examples.

Run from this directory with Debian's python3 (scikit-learn 1.2):
    /usr/bin/python3 gen_sklearn_fixture.py
The Go tests read the committed JSON; they never run this script.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn import metrics

warnings.simplefilter("ignore")  # zero-division and undefined-metric warnings are the point


def softmax_rounded(rng, n, k, decimals, bias=None):
    logits = rng.normal(size=(n, k))
    if bias is not None:
        logits += bias
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return np.round(p, decimals)  # rounding makes ties


def inverse_weighted(m, n):
    m, n = np.asarray(m, float), np.asarray(n, float)
    keep = n > 0
    if not keep.any():
        return 0.0
    return float(np.sum(m[keep] / n[keep]) / np.sum(1 / n[keep]))


def case(name, y_true, y_pred, k, scores=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(range(k))
    p, r, f, s = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    avg = {}
    for a in ("macro", "weighted"):
        pa, ra, _, _ = metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=a, zero_division=0)
        avg[a] = (float(pa), float(ra))
    report = {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
        "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(),
        "support": [int(x) for x in s],
        "precision_macro": avg["macro"][0], "recall_macro": avg["macro"][1],
        "precision_weighted": avg["weighted"][0], "recall_weighted": avg["weighted"][1],
        "precision_inverse_weighted": inverse_weighted(p, s),
        "recall_inverse_weighted": inverse_weighted(r, s),
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    out = {"name": name, "y_true": y_true.tolist(), "y_pred": y_pred.tolist(),
           "num_classes": k, "report": report}
    if scores is not None:
        scores = np.asarray(scores, float)
        out["scores"] = scores.tolist()
        roc, pr, auc, ap = [], [], [], []
        for c in range(k):
            yb = (y_true == c).astype(int)
            pc, rc, tc = metrics.precision_recall_curve(yb, scores[:, c])
            pr.append({"precision": pc.tolist(), "recall": rc.tolist(), "thresholds": tc.tolist()})
            ap.append(float(metrics.average_precision_score(yb, scores[:, c])))
            if yb.min() == yb.max():  # roc_auc_score raises: Go gives NaN (null here)
                roc.append(None)
                auc.append(None)
                continue
            fpr, tpr, thr = metrics.roc_curve(yb, scores[:, c])
            roc.append({"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()})
            auc.append(float(metrics.roc_auc_score(yb, scores[:, c])))
        out.update(roc=roc, pr=pr, roc_auc=auc, average_precision=ap)
    return out


rng = np.random.RandomState(20230609)
cases = []

# Imbalanced four-class example, like the study's (counts 12, 8, 5, 2).
y = np.repeat([0, 1, 2, 3], [12, 8, 5, 2])
pred = y.copy()
flip = rng.rand(y.size) < 0.35
pred[flip] = rng.randint(0, 4, flip.sum())
cases.append(case("imbalanced", y, pred, 4, softmax_rounded(rng, y.size, 4, 2, bias=np.eye(4)[y] * 1.5)))

# Zero division: class 2 is never predicted, class 3 never true (but predicted).
cases.append(case("zero_division", [0, 0, 1, 1, 2, 2, 0, 1], [0, 3, 1, 0, 0, 1, 0, 3], 4))

# A class absent everywhere, and a class present with no positives for ROC.
cases.append(case("absent_class", [0, 1, 0, 1, 0, 1], [0, 1, 1, 1, 0, 0], 3,
                  softmax_rounded(rng, 6, 3, 1)))

# Heavy ties: scores on a coarse grid.
y = rng.randint(0, 3, 20)
cases.append(case("ties", y, rng.randint(0, 3, 20), 3,
                  np.round(rng.rand(20, 3) * 4) / 4))

# Perfect predictions, one sample per class.
cases.append(case("perfect", [0, 1, 2], [0, 1, 2], 3, np.eye(3)))

with open("sklearn_fixture.json", "w") as f:
    json.dump({"sklearn_version": sklearn.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
