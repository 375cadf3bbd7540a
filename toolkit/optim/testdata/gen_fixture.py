#!/usr/bin/env python3
"""Generates fixture.json: a tiny MLP trained for 5 full-batch steps with
PyTorch's own optimizers, per optimizer/strategy setting, in float64.

Run with Debian's python3-torch:  /usr/bin/python3 gen_fixture.py > fixture.json

The model is Linear(4,5) -> tanh -> Linear(5,3) ("classifier"), loss
F.cross_entropy. Weights are stored in PyTorch's [out, in] layout (GoMLX
stores [in, out]). Each run's "config" holds config.Config (var_dict) keys.
Strategies, as toolkit/optim defines them:
  wei_dec (penalty)  loss + lambda * sum of squared kernels (not biases)
  wei_dec decoupled  torch.optim.AdamW with weight_decay on kernels only
  l2_norm            after each step, each classifier row /= its L2 norm
  maxnorm relative   thresh = min + t (max - min) of the initial row norms;
                     after each step rows with norm > thresh are scaled to it
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(7)
DT = torch.float64
STEPS = 5
STEPS_PER_EPOCH = 3

x = torch.randn(8, 4, dtype=DT)
y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 2])
init = {
    "hidden_w": torch.randn(5, 4, dtype=DT) * 0.5,
    "hidden_b": torch.randn(5, dtype=DT) * 0.1,
    "cls_w": torch.randn(3, 5, dtype=DT) * torch.tensor([[0.3], [0.6], [1.2]], dtype=DT),
    "cls_b": torch.randn(3, dtype=DT) * 0.1,
}


def train(cfg):
    p = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    kernels, biases = [p["hidden_w"], p["cls_w"]], [p["hidden_b"], p["cls_b"]]
    params = kernels + biases
    lr, strategy = cfg["learning_rate"], cfg["reg_strategy"]
    decoupled = cfg.get("decoupled_weight_decay", False)
    wd = cfg.get("weight_decay", 0.0) if strategy != "none" else 0.0
    if cfg["optimizer"] == "Adam":
        if wd > 0 and decoupled:
            opt = torch.optim.AdamW([{"params": kernels, "weight_decay": wd},
                                     {"params": biases, "weight_decay": 0.0}], lr=lr, eps=1e-8)
        else:
            opt = torch.optim.Adam(params, lr=lr, eps=1e-8)
    else:
        opt = torch.optim.SGD(params, lr=lr, momentum=cfg.get("momentum", 0.0))
    sched = None
    if cfg.get("scheduler") == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["epochs"] * STEPS_PER_EPOCH)
    thresh = cfg.get("thresh", 0.0)
    if strategy == "maxnorm" and cfg.get("thresh_relative"):
        n0 = p["cls_w"].detach().norm(dim=1)
        thresh = (n0.min() + thresh * (n0.max() - n0.min())).item()
    for _ in range(STEPS):
        h = torch.tanh(x @ p["hidden_w"].T + p["hidden_b"])
        loss = F.cross_entropy(h @ p["cls_w"].T + p["cls_b"], y)
        if wd > 0 and not decoupled:
            loss = loss + wd * sum((k ** 2).sum() for k in kernels)
        opt.zero_grad()
        loss.backward()
        if cfg.get("grad_clip", 0) > 0:
            torch.nn.utils.clip_grad_norm_(params, cfg["grad_clip"])
        opt.step()
        if sched is not None:
            sched.step()
        with torch.no_grad():
            w = p["cls_w"]
            norms = w.norm(dim=1, keepdim=True)
            if strategy == "l2_norm":
                w /= norms
            elif strategy == "maxnorm":
                w *= torch.where(norms > thresh, thresh / norms, torch.ones_like(norms))
    return {k: v.detach().tolist() for k, v in p.items()}


RUNS = [
    ("adam", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "none"}),
    ("adam_none_ignores_wd", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "none", "weight_decay": 0.5}),
    ("adam_wei_dec", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "wei_dec", "weight_decay": 0.05}),
    ("adamw_decoupled", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "wei_dec", "weight_decay": 0.5,
                         "decoupled_weight_decay": True}),
    ("sgd_wei_dec", {"optimizer": "SGD", "learning_rate": 0.1, "reg_strategy": "wei_dec", "weight_decay": 0.05}),
    ("sgd_momentum_clip", {"optimizer": "SGD", "learning_rate": 0.1, "momentum": 0.9, "reg_strategy": "none",
                           "grad_clip": 0.5}),
    ("sgd_cosine", {"optimizer": "SGD", "learning_rate": 0.5, "reg_strategy": "none", "scheduler": "cosine",
                    "epochs": 2}),
    ("adam_l2_norm", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "l2_norm"}),
    ("adam_maxnorm", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "maxnorm", "thresh": 0.9}),
    ("adam_maxnorm_relative", {"optimizer": "Adam", "learning_rate": 0.01, "reg_strategy": "maxnorm", "thresh": 0.5,
                               "thresh_relative": True}),
    ("sgd_maxnorm_wei_dec", {"optimizer": "SGD", "learning_rate": 0.1, "momentum": 0.9, "reg_strategy": "maxnorm",
                             "thresh": 0.8, "weight_decay": 0.01}),
]

out = {"generator": "testdata/gen_fixture.py", "torch": torch.__version__, "steps": STEPS,
       "steps_per_epoch": STEPS_PER_EPOCH, "x": x.tolist(), "y": y.tolist(),
       "init": {k: v.tolist() for k, v in init.items()},
       "runs": [{"name": n, "config": c, "final": train(c)} for n, c in RUNS]}
json.dump(out, sys.stdout)
print()
