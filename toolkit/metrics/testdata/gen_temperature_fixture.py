#!/usr/bin/python3
"""Writes temperature_fixture.json: temperature scaling (Guo et al. 2017)
of class probabilities, fitted by minimising PyTorch's cross_entropy of
log(p) / T with SciPy's bounded scalar minimiser, and the scaled
probabilities softmax(log(p) / T) from PyTorch.

Run from this directory with Debian's python3 (numpy, scipy 1.10, torch):
    /usr/bin/python3 gen_temperature_fixture.py
Probabilities come from float32 softmax (as run logs keep them), so very
confident rows hold exact zeros, read as the smallest positive float32.
"""
import json

import numpy as np
import scipy
import torch
from scipy.optimize import minimize_scalar

rng = np.random.RandomState(20170614)
FLOOR = np.float64(np.finfo(np.float32).smallest_subnormal)
T_MIN, T_MAX = 0.01, 100.0


def nll(logp, y, t):
    return float(torch.nn.functional.cross_entropy(torch.from_numpy(logp / t), torch.from_numpy(y)))


cases = []
for name, k, n, sharp, flip in [
    ("overconfident", 4, 120, 6.0, 0.3),   # sharp logits, many wrong labels: T > 1
    ("underconfident", 5, 100, 0.4, 0.0),  # flat logits, right labels: T < 1
    ("ten_classes", 10, 200, 2.5, 0.15),
    ("underflow", 3, 60, 40.0, 0.1),       # float32 softmax gives exact zeros
]:
    y = rng.randint(k, size=n)
    y[:k] = np.arange(k)
    logits = sharp * (rng.normal(size=(n, k)) + 2.0 * np.eye(k)[y])
    wrong = rng.rand(n) < flip
    y_seen = np.where(wrong, (y + 1) % k, y)  # label noise: over-confidence
    p = torch.softmax(torch.from_numpy(logits.astype(np.float32)), dim=1).double().numpy()
    logp = np.log(np.maximum(p, FLOOR))
    res = minimize_scalar(lambda u: nll(logp, y_seen, np.exp(u)), bounds=(np.log(T_MIN), np.log(T_MAX)),
                          method="bounded", options={"xatol": 1e-12, "maxiter": 2000})
    t = float(np.exp(res.x))
    scaled = torch.softmax(torch.from_numpy(logp / t), dim=1).numpy()
    cases.append({"name": name, "y_true": y_seen.tolist(), "scores": p.tolist(), "temperature": t,
                  "nll": nll(logp, y_seen, 1.0), "nll_scaled": nll(logp, y_seen, t), "scaled": scaled.tolist(),
                  "has_zero": bool((p == 0).any())})

with open("temperature_fixture.json", "w") as f:
    json.dump({"torch_version": torch.__version__, "scipy_version": scipy.__version__, "cases": cases}, f)
    f.write("\n")
