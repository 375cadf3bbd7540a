#!/usr/bin/python3
"""Writes posthoc_fixture.json: post-hoc logit adjustment (Menon et al. 2021)
of class probabilities, and scikit-learn's metrics of the adjusted argmax.

Run from this directory with Debian's python3 (numpy, scikit-learn 1.2):
    /usr/bin/python3 gen_posthoc_fixture.py
The adjustment is written as the paper's softmax(log p - tau log pi) in
numpy (log 0 = -inf gives probability 0), as the Go code computes it.
Scores are rounded to 4 decimals, as run logs may keep them, so some are
exactly 0 and rows do not sum to 1 exactly.
"""
import json
import warnings

import numpy as np
import sklearn
from sklearn import metrics

warnings.simplefilter("ignore")
rng = np.random.RandomState(20211231)


def adjust(p, counts, tau):
    prior = np.asarray(counts, float) / np.sum(counts)
    with np.errstate(divide="ignore"):
        z = np.log(p) - tau * np.log(prior)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


cases = []
for name, counts, n, bias in [
    ("four_classes", [750, 425, 250, 75], 48, 2.0),
    ("ten_classes_lt", [500, 387, 299, 232, 179, 139, 107, 83, 64, 50], 80, 1.5),
    ("two_classes", [90, 10], 32, 1.0),
]:
    k = len(counts)
    prior = np.asarray(counts, float) / np.sum(counts)
    y = rng.choice(k, size=n, p=prior)
    y[:k] = np.arange(k)  # every class present
    # A model biased towards the head: logits = true-class bonus + log prior + noise.
    logits = rng.normal(size=(n, k)) + bias * np.eye(k)[y] + np.log(prior)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p = np.round(p, 4)
    for tau in [0.0, 0.5, 1.0, 2.0]:
        adj = adjust(p, counts, tau)
        pred = adj.argmax(axis=1)
        cases.append({
            "name": name, "counts": counts, "tau": tau, "scores": p.tolist(), "y_true": y.tolist(),
            "adjusted": adj.tolist(), "y_pred": pred.tolist(),
            "accuracy": float(metrics.accuracy_score(y, pred)),
            "balanced_accuracy": float(metrics.balanced_accuracy_score(y, pred)),
            "recall": metrics.recall_score(y, pred, labels=list(range(k)), average=None, zero_division=0).tolist(),
        })

with open("posthoc_fixture.json", "w") as f:
    json.dump({"sklearn_version": sklearn.__version__, "numpy_version": np.__version__, "cases": cases}, f)
    f.write("\n")
