#!/usr/bin/python3
"""Writes calibration_fixture.json: scikit-learn's calibration_curve
(strategy "uniform") of a classifier's top-label confidence and of each
class one-vs-rest, and the expected and maximum calibration errors of the
same bins written out in numpy.

Run from this directory with Debian's python3 (numpy, scikit-learn 1.2):
    /usr/bin/python3 gen_calibration_fixture.py
Scores are rounded to 2 and 4 decimals, so some lie exactly on bin edges.
"""
import json

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve

rng = np.random.RandomState(20170614)  # Guo et al., "On calibration of modern neural networks"


def errors(outcome, prob, n_bins):
    """ECE and MCE over the bins calibration_curve uses."""
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(bins[1:-1], prob)
    ece, mce = 0.0, 0.0
    for b in range(n_bins):
        m = ids == b
        if m.any():
            gap = abs(outcome[m].mean() - prob[m].mean())
            ece += m.sum() / len(prob) * gap
            mce = max(mce, gap)
    return ece, mce


def curve(outcome, prob, n_bins):
    outcome = np.asarray(outcome, bool)
    frac, mean = calibration_curve(outcome, prob, n_bins=n_bins, strategy="uniform")
    ece, mce = errors(outcome, prob, n_bins)
    return {"frequency": frac.tolist(), "confidence": mean.tolist(), "ece": ece, "mce": mce}


cases = []
for name, k, n, sharp, decimals in [("overconfident", 4, 80, 3.0, 4), ("rounded", 3, 60, 1.0, 2), ("ten_classes", 10, 150, 2.0, 4)]:
    prior = np.linspace(2.0, 1.0, k)
    prior /= prior.sum()
    y = rng.choice(k, size=n, p=prior)
    y[:k] = np.arange(k)
    logits = sharp * (rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p = np.round(p, decimals)
    for n_bins in [10, 5]:
        pred = p.argmax(axis=1)
        top = curve(pred == y, p[np.arange(n), pred], n_bins)
        per_class = [curve(y == c, p[:, c], n_bins) for c in range(k)]
        cases.append({"name": name, "bins": n_bins, "y_true": y.tolist(), "scores": p.tolist(),
                      "top_label": top, "per_class": per_class})

with open("calibration_fixture.json", "w") as f:
    json.dump({"sklearn_version": sklearn.__version__, "cases": cases}, f)
    f.write("\n")
