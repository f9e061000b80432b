#!/usr/bin/python3
"""Golden values for torch/optim (optimizer_test.cc, lr_scheduler_test.cc).

Reference: PyTorch 1.13 (Debian's python3-torch), torch.optim with
foreach=False (the single-tensor "for-loop" implementations) and
torch.optim.lr_scheduler. Run from the repository root:
    /usr/bin/python3 tests/golden/optim_golden.py
writes tests/golden/optim.safetensors.

Optimizers, "opt.<Name>.<case>.<f32|f64>.<entry>":
  <field>             float64 0-D hyperparameters, named like tch's
                      GroupOptions (lr, momentum, beta1, ..., bools 0/1)
  init.<k>            the initial value of parameter k (3 parameters)
  grad.<s>.<k>        the grad of parameter k at step s (s < 5); missing
                      means the grad is None (the parameter is skipped)
  param.<s>.<k>       parameter k after step s
Schedulers, "sched.<case>.<entry>": the arguments (float64 / int64 0-D,
milestones int64 1-D), "lrs" float64 [steps + 1, 2] (get_last_lr() of both
param groups after construction and after each step), "momentum" /
"beta1" [steps + 1] for OneCycleLR, "metrics" [steps] for
ReduceLROnPlateau. The warmup schedules (tch's own) are checked against
LambdaLR with the documented formula.
Clipping, "clip.<case>.<f32|f64>.<entry>": grad.<k>, max_norm, norm_type
(inf for the max norm), total_norm (float64), clipped.<k>.
"""

import math

import torch
from safetensors.torch import save_file

torch.manual_seed(20240601)
OUT = {}
STEPS = 5
SHAPES = [(3, 4), (5,), ()]
# Parameter 2 has no grad at steps 0 and 3: it is skipped there and its
# lazily created state starts one step late.
NO_GRAD = {(0, 2), (3, 2)}

FIELDS = ["lr", "weight_decay", "momentum", "dampening", "nesterov",
          "maximize", "beta1", "beta2", "eps", "amsgrad", "alpha", "centered",
          "lr_decay", "initial_accumulator_value"]
# tch's GroupOptions defaults, overridden per case below.
BASE = dict(lr=1e-3, weight_decay=0.0, momentum=0.0, dampening=0.0,
            nesterov=False, maximize=False, beta1=0.9, beta2=0.999, eps=1e-8,
            amsgrad=False, alpha=0.99, centered=False, lr_decay=0.0,
            initial_accumulator_value=0.0)


def f64(v):
    return torch.tensor(float(v), dtype=torch.float64)


def i64(v):
    return torch.tensor(int(v), dtype=torch.int64)


def make(name, params, o):
    if name == "SGD":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"],
                               dampening=o["dampening"],
                               weight_decay=o["weight_decay"],
                               nesterov=o["nesterov"], maximize=o["maximize"],
                               foreach=False)
    if name in ("Adam", "AdamW"):
        cls = torch.optim.Adam if name == "Adam" else torch.optim.AdamW
        return cls(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                   eps=o["eps"], weight_decay=o["weight_decay"],
                   amsgrad=o["amsgrad"], maximize=o["maximize"],
                   foreach=False)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=o["lr"], alpha=o["alpha"],
                                   eps=o["eps"],
                                   weight_decay=o["weight_decay"],
                                   momentum=o["momentum"],
                                   centered=o["centered"],
                                   maximize=o["maximize"], foreach=False)
    if name == "Adagrad":
        return torch.optim.Adagrad(
            params, lr=o["lr"], lr_decay=o["lr_decay"],
            weight_decay=o["weight_decay"],
            initial_accumulator_value=o["initial_accumulator_value"],
            eps=o["eps"], maximize=o["maximize"], foreach=False)
    raise ValueError(name)


OPT_CASES = [
    ("SGD", "plain", dict(lr=0.1)),
    ("SGD", "momentum", dict(lr=0.05, momentum=0.9)),
    ("SGD", "dampening_wd", dict(lr=0.05, momentum=0.9, dampening=0.1,
                                 weight_decay=0.01)),
    ("SGD", "nesterov", dict(lr=0.05, momentum=0.9, nesterov=True,
                             weight_decay=0.05)),
    ("SGD", "maximize", dict(lr=0.02, momentum=0.5, maximize=True)),
    ("Adam", "default", dict(lr=0.01)),
    ("Adam", "amsgrad_wd", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", "betas_maximize", dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6,
                                    maximize=True)),
    ("AdamW", "default", dict(lr=0.01, weight_decay=0.01)),
    ("AdamW", "amsgrad_wd", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", "default", dict(lr=0.01)),
    ("RMSprop", "centered_momentum_wd", dict(lr=0.01, centered=True,
                                             momentum=0.9, weight_decay=0.1)),
    ("RMSprop", "alpha_maximize", dict(lr=0.005, alpha=0.9, eps=1e-6,
                                       momentum=0.5, maximize=True)),
    ("Adagrad", "default", dict(lr=0.1, eps=1e-10)),
    ("Adagrad", "decay_wd_init", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                      initial_accumulator_value=0.5,
                                      eps=1e-10)),
    ("Adagrad", "maximize", dict(lr=0.05, eps=1e-5, maximize=True)),
]


def optimizer_cases():
    for name, case, over in OPT_CASES:
        o = dict(BASE, **over)
        init64 = [torch.randn(s, dtype=torch.float64) for s in SHAPES]
        grads64 = [[torch.randn(s, dtype=torch.float64) for s in SHAPES]
                   for _ in range(STEPS)]
        for dt, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
            prefix = f"opt.{name}.{case}.{tag}"
            for f in FIELDS:
                OUT[f"{prefix}.{f}"] = f64(o[f])
            params = [p.to(dt).clone().requires_grad_(True) for p in init64]
            for k, p in enumerate(params):
                OUT[f"{prefix}.init.{k}"] = p.detach().clone()
            opt = make(name, params, o)
            for s in range(STEPS):
                for k, p in enumerate(params):
                    if (s, k) in NO_GRAD:
                        p.grad = None
                    else:
                        p.grad = grads64[s][k].to(dt).clone()
                        OUT[f"{prefix}.grad.{s}.{k}"] = p.grad.clone()
                opt.step()
                for k, p in enumerate(params):
                    OUT[f"{prefix}.param.{s}.{k}"] = p.detach().clone()


def run_scheduler(case, make_sched, steps, opt_factory=None, metrics=None,
                  track=None, **args):
    p1 = torch.zeros(2, requires_grad=True)
    p2 = torch.zeros(2, requires_grad=True)
    if opt_factory is None:
        opt = torch.optim.SGD([{"params": [p1], "lr": 0.1},
                               {"params": [p2], "lr": 0.05}], lr=0.1)
    else:
        opt = opt_factory([{"params": [p1], "lr": 0.1},
                           {"params": [p2], "lr": 0.05}])
    sched = make_sched(opt)
    lrs = [[g["lr"] for g in opt.param_groups]]
    tracked = []
    if track:
        tracked.append(track(opt.param_groups[0]))
    for s in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(float(metrics[s]))
            lrs.append([g["lr"] for g in opt.param_groups])
        else:
            sched.step()
            lrs.append(list(sched.get_last_lr()))
        if track:
            tracked.append(track(opt.param_groups[0]))
    prefix = f"sched.{case}"
    OUT[f"{prefix}.lrs"] = torch.tensor(lrs, dtype=torch.float64)
    OUT[f"{prefix}.steps"] = i64(steps)
    for k, v in args.items():
        if isinstance(v, list):
            OUT[f"{prefix}.{k}"] = torch.tensor(v, dtype=torch.int64)
        elif isinstance(v, bool) or isinstance(v, int):
            OUT[f"{prefix}.{k}"] = i64(v)
        else:
            OUT[f"{prefix}.{k}"] = f64(v)
    if metrics is not None:
        OUT[f"{prefix}.metrics"] = torch.tensor(metrics, dtype=torch.float64)
    if track:
        OUT[f"{prefix}.tracked"] = torch.tensor(tracked, dtype=torch.float64)


def cosine_warmup_lambda(base, warmup, total, min_lr, s):
    def f(t):
        if t < warmup:
            return s + (1 - s) * t / warmup
        if t >= total:
            return min_lr / base
        progress = (t - warmup) / (total - warmup)
        return (min_lr + (base - min_lr) * (1 + math.cos(math.pi * progress))
                / 2) / base
    return f


def linear_warmup_lambda(base, warmup, total, final_lr, s):
    def f(t):
        if t < warmup:
            return s + (1 - s) * t / warmup
        if t >= total:
            return final_lr / base
        return (final_lr + (base - final_lr) * (total - t) /
                (total - warmup)) / base
    return f


def scheduler_cases():
    S = torch.optim.lr_scheduler
    run_scheduler("constant", lambda o: S.ConstantLR(o, 0.5, 4), 50,
                  factor=0.5, total_iters=4)
    run_scheduler("step", lambda o: S.StepLR(o, 7, 0.5), 50, step_size=7,
                  gamma=0.5)
    run_scheduler("multistep",
                  lambda o: S.MultiStepLR(o, [5, 12, 12, 30], 0.3), 50,
                  milestones=[5, 12, 12, 30], gamma=0.3)
    run_scheduler("exponential", lambda o: S.ExponentialLR(o, 0.95), 50,
                  gamma=0.95)
    run_scheduler("cosine", lambda o: S.CosineAnnealingLR(o, 20, 0.001), 50,
                  t_max=20, eta_min=0.001)
    run_scheduler("onecycle_sgd",
                  lambda o: S.OneCycleLR(o, 0.5, total_steps=50), 50,
                  opt_factory=lambda g: torch.optim.SGD(g, lr=0.1,
                                                        momentum=0.9),
                  track=lambda g: g["momentum"], max_lr=0.5, total_steps=50,
                  pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    run_scheduler("onecycle_adam",
                  lambda o: S.OneCycleLR(o, 0.01, total_steps=60,
                                         pct_start=0.25, div_factor=10.0,
                                         final_div_factor=100.0,
                                         base_momentum=0.8,
                                         max_momentum=0.9), 60,
                  opt_factory=lambda g: torch.optim.Adam(g, lr=0.1),
                  track=lambda g: g["betas"][0], max_lr=0.01, total_steps=60,
                  pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
                  base_momentum=0.8, max_momentum=0.9)
    metrics = [1.0 / (1 + 0.1 * i) + 0.05 * math.sin(i) for i in range(50)]
    run_scheduler("plateau_min",
                  lambda o: S.ReduceLROnPlateau(o, "min", factor=0.5,
                                                patience=2, threshold=0.01,
                                                cooldown=1, min_lr=0.004),
                  50, metrics=metrics, mode_max=False, rel=True, factor=0.5,
                  patience=2, threshold=0.01, cooldown=1, min_lr=0.004)
    run_scheduler("plateau_max_abs",
                  lambda o: S.ReduceLROnPlateau(o, "max", factor=0.3,
                                                patience=3, threshold=0.02,
                                                threshold_mode="abs",
                                                cooldown=0, min_lr=0.0),
                  50, metrics=metrics, mode_max=True, rel=False, factor=0.3,
                  patience=3, threshold=0.02, cooldown=0, min_lr=0.0)
    for case, warmup, total, floor, s in (("cosine_warmup", 10, 40, 0.002, 0.0),
                                          ("cosine_warmup_start", 5, 30, 0.0,
                                           0.1)):
        run_scheduler(
            case,
            lambda o: S.LambdaLR(o, [
                cosine_warmup_lambda(0.1, warmup, total, floor, s),
                cosine_warmup_lambda(0.05, warmup, total, floor, s)]),
            50, warmup_steps=warmup, total_steps=total, min_lr=floor,
            warmup_start_factor=s)
    run_scheduler(
        "linear_warmup_decay",
        lambda o: S.LambdaLR(o, [linear_warmup_lambda(0.1, 8, 40, 0.001, 0.0),
                                 linear_warmup_lambda(0.05, 8, 40, 0.001,
                                                      0.0)]),
        50, warmup_steps=8, total_steps=40, final_lr=0.001,
        warmup_start_factor=0.0)


def clip_cases():
    shapes = [(4, 3), (7,), (2, 2, 2)]
    for case, max_norm, norm_type in (("l2_clip", 1.0, 2.0),
                                      ("l2_noclip", 100.0, 2.0),
                                      ("l1", 2.0, 1.0),
                                      ("inf", 0.5, math.inf),
                                      ("p3", 1.5, 3.0)):
        grads64 = [torch.randn(s, dtype=torch.float64) for s in shapes]
        for dt, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
            prefix = f"clip.{case}.{tag}"
            params = [torch.zeros(s, dtype=dt, requires_grad=True)
                      for s in shapes]
            for k, p in enumerate(params):
                p.grad = grads64[k].to(dt).clone()
                OUT[f"{prefix}.grad.{k}"] = p.grad.clone()
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
            OUT[f"{prefix}.max_norm"] = f64(max_norm)
            OUT[f"{prefix}.norm_type"] = f64(norm_type)
            OUT[f"{prefix}.total_norm"] = f64(total.item())
            for k, p in enumerate(params):
                OUT[f"{prefix}.clipped.{k}"] = p.grad.clone()
    grads = [torch.randn(5, 5, dtype=torch.float64) * 2]
    params = [torch.zeros(5, 5, dtype=torch.float64, requires_grad=True)]
    params[0].grad = grads[0].clone()
    OUT["clip_value.grad"] = grads[0].clone()
    torch.nn.utils.clip_grad_value_(params, 1.25)
    OUT["clip_value.clip"] = f64(1.25)
    OUT["clip_value.clipped"] = params[0].grad.clone()


optimizer_cases()
scheduler_cases()
clip_cases()
save_file({k: v.contiguous() for k, v in OUT.items()},
          "tests/golden/optim.safetensors")
print(f"wrote {len(OUT)} tensors")
