#!/usr/bin/env python3
"""Generates fixture.json: reference loss values and logit gradients for
toolkit/losses, computed with PyTorch's own functions in float64.

Run with Debian's python3-torch:  /usr/bin/python3 gen_fixture.py > fixture.json

Conventions (the issue's definitions):
  class weights: INS 1/n, ISNS 1/sqrt(n), ENS (1-b)/(1-b^n), normalised to sum C.
  s_i = w[y_i].
  CB CE:           mean_i s_i * F.cross_entropy(reduction='none')
  CB BCE_sigmoid:  mean_{i,c} s_i * F.binary_cross_entropy_with_logits(reduction='none')
  CB BCE_softmax:  mean_{i,c} s_i * F.binary_cross_entropy(softmax(z), t, reduction='none')
  CB focal:        sum_{i,c} s_i * torchvision sigmoid_focal_loss(alpha=-1, reduction='none') / N
  MFE/MSFE:        written out with torch ops (no library function exists).
  LA CE:           F.cross_entropy(z + tau * log(n / n.sum()), y) (Menon et al. 2021).
  CB LDAM:         Cao et al. 2019's LDAMLoss.forward (their repository's losses.py, written
                   out) on cosines x = z / s: m = n^-1/4 scaled so max m = ldam_margin,
                   F.cross_entropy(s * where(onehot, x - m[y], x), y, reduction='none'),
                   then weighted like CB CE (mean_i s_i CE_i; their code passes the weights
                   to F.cross_entropy, which divides by sum_i s_i instead).
"""
import json
import math

import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

torch.manual_seed(20230609)
COUNTS = [750, 425, 250, 75]  # the study's training counts
C = len(COUNTS)


def class_weights(counts, weighting, beta):
    n = torch.tensor(counts, dtype=torch.float64)
    if weighting == "INS":
        w = 1.0 / n
    elif weighting == "ISNS":
        w = 1.0 / torch.sqrt(n)
    elif weighting == "ENS":
        w = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.float64), n))
    elif weighting == "none":
        w = torch.ones_like(n)
    return w / w.sum() * len(counts)


def ldam(z, y, margin, scale):
    """Per-sample LDAM loss of logits z = scale * cos."""
    n = torch.tensor(COUNTS, dtype=torch.float64)
    m_list = 1.0 / torch.sqrt(torch.sqrt(n))
    m_list = m_list * (margin / m_list.max())
    x = z / scale
    index = F.one_hot(y, C).bool()
    batch_m = m_list[y].view(-1, 1)
    output = torch.where(index, x - batch_m, x)
    return F.cross_entropy(scale * output, y, reduction="none")


def loss(family, ltype, weighting, beta, gamma, tau, z, y, ldam_args=None):
    t = F.one_hot(y, C).to(torch.float64)
    n = z.shape[0]
    if family == "baseline":
        return F.cross_entropy(z, y)
    if family == "LA":
        counts = torch.tensor(COUNTS, dtype=torch.float64)
        return F.cross_entropy(z + tau * torch.log(counts / counts.sum()), y)
    if family == "MFE":
        p = torch.softmax(z, dim=1)
        e = 0.5 * ((t - p) ** 2).sum(dim=1)
        total = torch.zeros((), dtype=torch.float64)
        for c in range(C):
            m = y == c
            if m.any():
                ec = e[m].mean()
                total = total + (ec ** 2 if ltype == "MSFE" else ec)
        return total
    s = class_weights(COUNTS, weighting, beta)[y]
    if ltype == "CE":
        return (s * F.cross_entropy(z, y, reduction="none")).mean()
    if ltype == "BCE_sigmoid":
        return (s[:, None] * F.binary_cross_entropy_with_logits(z, t, reduction="none")).mean()
    if ltype == "BCE_softmax":
        return (s[:, None] * F.binary_cross_entropy(torch.softmax(z, dim=1), t, reduction="none")).mean()
    if ltype == "focal":
        fl = sigmoid_focal_loss(z, t, alpha=-1, gamma=gamma, reduction="none")
        return (s[:, None] * fl).sum() / n
    if ltype == "LDAM":
        return (s * ldam(z, y, *ldam_args)).mean()
    raise ValueError(ltype)


CONFIGS = [("baseline", "CE", "ENS", 0.999, 0.0, None)]
for wt, beta in [("INS", 0.0), ("ISNS", 0.0), ("ENS", 0.9), ("ENS", 0.999), ("ENS", 0.9999), ("none", 0.0)]:
    for lt in ["CE", "BCE_sigmoid", "BCE_softmax"]:
        CONFIGS.append(("CB", lt, wt, beta, 0.0, None))
    for gamma in [0.0, 0.5, 2.0]:
        CONFIGS.append(("CB", "focal", wt, beta, gamma, None))
CONFIGS += [("MFE", "MFE", "", 0.0, 0.0, None), ("MFE", "MSFE", "", 0.0, 0.0, None)]
# Logit adjustment (not in the study); tau 0 is plain cross-entropy.
CONFIGS += [("LA", "CE", "", 0.0, 0.0, tau) for tau in [0.0, 0.5, 1.0, 2.0]]
# LDAM (not in the study): (margin, scale) in the tau slot; margin 0 is CB CE.
CONFIGS += [("CB", "LDAM", wt, beta, 0.0, ms) for wt, beta in [("none", 0.0), ("ENS", 0.9999), ("INS", 0.0)]
            for ms in [(0.5, 30.0), (0.5, 1.0), (0.0, 30.0), (2.0, 5.0)]]

batches = {
    # Moderate logits, every class present.
    "random8": (torch.randn(8, C, dtype=torch.float64) * 2.0, torch.tensor([0, 1, 2, 3, 0, 0, 1, 3])),
    # Class 2 absent from the batch (MFE skips it), larger logits.
    "absent2": (torch.randn(5, C, dtype=torch.float64) * 5.0, torch.tensor([0, 0, 1, 3, 3])),
    # Saturated logits (+-100). BCE_softmax is left out here: PyTorch's
    # F.binary_cross_entropy clamps log(p) at -100, the Go code does not.
    "saturated": (torch.tensor([[100.0, -100.0, 0.0, 3.0],
                                [-100.0, 100.0, -100.0, 100.0],
                                [0.5, -0.5, 100.0, -100.0]], dtype=torch.float64),
                  torch.tensor([0, 2, 3])),
}

cases = []
for bname, (z0, y) in batches.items():
    for fam, lt, wt, beta, gamma, tau in CONFIGS:
        if bname == "saturated" and lt == "BCE_softmax":
            continue
        z = z0.clone().requires_grad_(True)
        if lt == "LDAM":
            v = loss(fam, lt, wt, beta, gamma, None, z, y, ldam_args=tau)
        else:
            v = loss(fam, lt, wt, beta, gamma, tau, z, y)
        (g,) = torch.autograd.grad(v, z)
        config = {"loss_family": fam, "loss_type": lt, "weighting": wt, "beta": beta, "gamma": gamma}
        if lt == "LDAM":
            config["ldam_margin"], config["ldam_scale"] = tau
        elif tau is not None:
            config["tau"] = tau
        cases.append({
            "batch": bname,
            "config": config,
            "logits": z0.tolist(), "labels": y.tolist(),
            # torchvision's focal loss has NaN gradients where (1 - p_t) is 0
            # and gamma < 1 (d/dx x^gamma at 0); those entries are null.
            "loss": v.item(), "grad": [[None if math.isnan(x) else x for x in row] for row in g.tolist()],
        })

weights = []
for counts in [COUNTS, [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50], [1, 1, 1], [3, 1]]:
    for wt, beta in [("INS", 0.0), ("ISNS", 0.0), ("ENS", 0.0), ("ENS", 0.5), ("ENS", 0.9), ("ENS", 0.999), ("ENS", 0.9999), ("none", 0.0)]:
        weights.append({"counts": counts, "weighting": wt, "beta": beta,
                        "w": class_weights(counts, wt, beta).tolist()})

# One case per line: small, and diffs stay readable.
out = __import__("sys").stdout
head = {"generator": "testdata/gen_fixture.py", "torch": torch.__version__, "counts": COUNTS}
out.write(json.dumps(head)[:-1] + ',\n"weights": [\n' + ",\n".join(json.dumps(w) for w in weights))
out.write('],\n"cases": [\n' + ",\n".join(json.dumps(c) for c in cases) + "]}\n")
