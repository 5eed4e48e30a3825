"""How fast the engine is: training steps, the loss surface and a recorded run, against PyTorch on the CPU.

Run ``make bench`` or ``.venv/bin/python benchmarks/bench_engine.py`` (``--quick`` for fewer repetitions).
Prints one table (median and 90th percentile per row, the target for a 2-core machine, PyTorch doing
the same work in the same run with one thread and float64, and ours / torch) and one verdict per row.
Not part of the test suite: timings depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from explainer import Network
from explainer.engine.loss_surface import loss_surface

try:
    from explainer.engine.training import train
except ImportError:  # the engine without training.py: measure the same step by hand
    train = None

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None

NS = 1e-9


# ---------------------------------------------------------------------- timing
def sample(fn: Callable[[], object], *, repeats: int, warmup: int) -> np.ndarray:
    """Durations of ``repeats`` calls of fn in seconds, after ``warmup`` calls that are not kept."""
    for _ in range(warmup):
        fn()
    out = np.empty(repeats)
    for k in range(repeats):
        t0 = time.perf_counter_ns()
        fn()
        out[k] = time.perf_counter_ns() - t0
    return out * NS


@dataclass
class Row:
    work: str
    ours: np.ndarray  # seconds per repetition
    target: float | None  # seconds, None for an informational row
    torch: np.ndarray | None = None
    note: str = ""


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


# ---------------------------------------------------------------------- data
def classification(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """XOR-like points in [-1, 1]², targets (n, 1) in {0, 1}."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(np.float64)
    return X, y


NETS = {
    "2-2-2 sigmoid": lambda: Network([2, 2, 2], "sigmoid", "sigmoid", "mse", seed=0),
    "2-8-8-1 tanh": lambda: Network([2, 8, 8, 1], "tanh", "sigmoid", "bce", seed=0),
    "2-16-16-16-1 relu": lambda: Network([2, 16, 16, 16, 1], "relu", "sigmoid", "bce", seed=0),
}


def step_data(key: str) -> tuple[np.ndarray, np.ndarray]:
    if key == "2-2-2 sigmoid":  # the classic worked example: one sample
        return np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
    return classification(256 if key == "2-8-8-1 tanh" else 1000)


# ---------------------------------------------------------------------- ours
def ours_step_times(net: Network, X, y, lr: float, steps: int, runs: int) -> tuple[np.ndarray, str]:
    """Per-step durations of training with SGD, one entry per update.

    With explainer.engine.training: the time between successive callbacks of ``train`` (each interval is
    one whole step as ``train`` does it: gradient, recording, divergence check, update), over ``runs``
    calls of ``steps`` steps, the first call a warm-up. Without it: the gradient plus an in-place update.
    """
    if train is not None:
        stamps: list[int] = []

        def stamp(step, loss):
            stamps.append(time.perf_counter_ns())

        per_step = []
        for run in range(runs + 1):
            stamps.clear()
            train(net, X, y, optimizer="sgd", lr=lr, steps=steps, callback=stamp)
            if run:  # the first call is the warm-up
                per_step.append(np.diff(np.array(stamps)))
        return np.concatenate(per_step) * NS, "training.train per step (time between callbacks)"
    Xa = net.check_X(X)
    Y = net.check_y(y, Xa.shape[0])
    mask = net.trainable_mask.astype(np.float64)

    def one():
        _, grad = net.gradient(Xa, Y)
        net.theta[...] -= lr * grad * mask

    return sample(one, repeats=steps * runs, warmup=steps), "stand-in: net.gradient + in-place SGD update"


# ---------------------------------------------------------------------- torch peers
def torch_params(net: Network) -> list:
    out = []
    for W, b in zip(net.weights, net.biases):
        out.append(torch.tensor(np.array(W), dtype=torch.float64, requires_grad=True))
        out.append(torch.tensor(np.array(b), dtype=torch.float64, requires_grad=True))
    return out


TORCH_ACTS = {
    "sigmoid": lambda z: torch.sigmoid(z),
    "tanh": lambda z: torch.tanh(z),
    "relu": lambda z: torch.relu(z),
}


def torch_loss(net: Network, params: list, X, Y):
    """The same mean loss as the engine's (mse ½Σ, bce from logits), as a torch scalar."""
    a = X
    L = net.n_layers
    for k in range(L):
        z = a @ params[2 * k] + params[2 * k + 1]
        if k < L - 1:
            a = TORCH_ACTS[net.layer_activations[k]](z)
    n = X.shape[0]
    if net.loss == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(z, Y, reduction="sum") / n
    out = TORCH_ACTS[net.output_activation](z)
    return 0.5 * ((out - Y) ** 2).sum() / n


def torch_step_times(net: Network, X, y, lr: float, steps: int, runs: int) -> np.ndarray:
    """Per-step durations of forward, backward and an SGD update with torch autograd (float64, 1 thread)."""
    params = torch_params(net)
    Xt = torch.tensor(X, dtype=torch.float64)
    Yt = torch.tensor(y, dtype=torch.float64)

    def one():
        loss = torch_loss(net, params, Xt, Yt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return loss

    return sample(one, repeats=steps * runs, warmup=steps)


def torch_recorded_run(net: Network, X, y, lr: float, steps: int) -> Callable[[], None]:
    """200 SGD steps recording the flat parameters, gradients and loss at each, as train() does."""
    Xt = torch.tensor(X, dtype=torch.float64)
    Yt = torch.tensor(y, dtype=torch.float64)
    start = [torch.tensor(np.array(a)) for pair in zip(net.weights, net.biases) for a in pair]

    def run():
        params = [p.clone().requires_grad_(True) for p in start]
        P = sum(p.numel() for p in params)
        theta = torch.empty((steps + 1, P), dtype=torch.float64)
        grads = torch.empty((steps + 1, P), dtype=torch.float64)
        losses = torch.empty(steps + 1, dtype=torch.float64)
        for t in range(steps + 1):
            loss = torch_loss(net, params, Xt, Yt)
            loss.backward()
            with torch.no_grad():
                theta[t] = torch.cat([p.reshape(-1) for p in params])
                grads[t] = torch.cat([p.grad.reshape(-1) for p in params])
                losses[t] = loss
                if t < steps:
                    for p in params:
                        p -= lr * p.grad
                for p in params:
                    p.grad = None

    return run


def torch_surface(net: Network, X, y, params: tuple[str, str], span: float, resolution: int) -> Callable[[], None]:
    """The whole network evaluated at every grid point: a broadcast batch of weight matrices, in row blocks."""
    Xt = torch.tensor(X, dtype=torch.float64)
    Yt = torch.tensor(y, dtype=torch.float64)
    Ws = [torch.tensor(np.array(W)) for W in net.weights]
    bs = [torch.tensor(np.array(b)) for b in net.biases]
    grid = torch.linspace(-span, span, resolution, dtype=torch.float64)
    located = []
    for name in params:
        layer, rest = int(name[1 : name.index("[")]) - 1, name[name.index("[") + 1 : -1]
        i, j = (int(v) for v in rest.split(","))
        located.append((layer, i, j))
    (l1, i1, j1), (l2, i2, j2) = located
    R, n = resolution, X.shape[0]
    rows = max(1, (32 * 2**20) // (R * n * max(net.sizes) * 8))  # ≤ 32 MB per (rows, R, n, width) block

    def run():
        out = torch.empty((R, R), dtype=torch.float64)
        with torch.no_grad():
            for r0 in range(0, R, rows):
                ub = grid[r0 : r0 + rows]
                batch = [W.expand(ub.shape[0], R, *W.shape).clone() for W in Ws]
                batch[l1][:, :, i1, j1] += ub[:, None]
                batch[l2][:, :, i2, j2] += grid[None, :]
                a = Xt
                for k in range(len(Ws)):
                    z = a @ batch[k] + bs[k]
                    if k < len(Ws) - 1:
                        a = TORCH_ACTS[net.layer_activations[k]](z)
                per = torch.nn.functional.binary_cross_entropy_with_logits(z, Yt.expand_as(z), reduction="none").sum(-1)
                out[r0 : r0 + rows] = per.mean(-1)
        return out

    return run


# ---------------------------------------------------------------------- the table
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look, not the figures)")
    args = parser.parse_args(argv)
    scale = 0.2 if args.quick else 1.0
    reps = max(3, int(30 * scale))
    rows: list[Row] = []

    # One training step, three sizes.
    for key, target, lr, steps in (
        ("2-2-2 sigmoid", 40e-6, 0.5, 2000),
        ("2-8-8-1 tanh", 160e-6, 0.5, 1000),
        ("2-16-16-16-1 relu", 500e-6, 0.1, 400),
    ):
        X, y = step_data(key)
        steps = max(50, int(steps * scale))
        ours, how = ours_step_times(NETS[key](), X, y, lr, steps, runs=3)
        peer = torch_step_times(NETS[key](), X, y, lr, steps, runs=3) if torch else None
        n = X.shape[0]
        label = f"one step (forward, backward, update), {key}" + (" + bce" if key == "2-8-8-1 tanh" else "")
        rows.append(Row(f"{label}, {n} sample{'s' * (n > 1)}", ours, target, peer, how))

    # The loss surface of the benchmark's pair, and two informational rows.
    X, y = classification(256)
    net = NETS["2-8-8-1 tanh"]()
    few = max(3, reps // 3)
    for pair, target, work in (
        (("W1[0,0]", "W3[1,0]"), 150e-3, "loss surface, 101×101 grid over W1[0,0] and W3[1,0] of the 2-8-8-1 net"),
        (("W1[0,0]", "W1[1,0]"), None, "  (info) the same over W1[0,0] and W1[1,0] (one first-layer unit: most work)"),
    ):
        ours = sample(lambda p=pair: loss_surface(net, X, y, params=p, resolution=101), repeats=reps, warmup=2)
        peer = sample(torch_surface(net, X, y, pair, 3.0, 101), repeats=few, warmup=1) if torch else None
        rows.append(Row(work + ", 256 samples", ours, target, peer))
    ours = sample(lambda: loss_surface(net, X, y, directions="random", resolution=51), repeats=few, warmup=1)
    rows.append(Row("  (info) loss surface, 51×51 grid along two random directions, same net and data", ours, None))

    # A recorded run.
    work = "200 recorded SGD steps of the 2-8-8-1 net, 256 samples: train(net, X, y, steps=200)"
    if train is not None:
        start = NETS["2-8-8-1 tanh"]().parameters

        def recorded():
            net.set_parameters(start)
            train(net, X, y, optimizer="sgd", lr=0.5, steps=200)

        ours = sample(recorded, repeats=reps, warmup=2)
        peer = None
        if torch:
            peer = sample(torch_recorded_run(NETS["2-8-8-1 tanh"](), X, y, 0.5, 200), repeats=reps, warmup=2)
        rows.append(Row(work, ours, 35e-3, peer))
    else:
        rows.append(Row(work + " (explainer.engine.training missing: not measured)", np.array([np.nan]), 35e-3))

    print_table(rows)
    if torch:
        check_peers()
    return 0


def check_peers() -> None:
    """The peers compute the same numbers as the engine (else the ratios would compare different work)."""
    worst = 0.0
    for key, make in NETS.items():
        X, y = step_data(key)
        net = make()
        t = torch_loss(net, torch_params(net), torch.tensor(X), torch.tensor(y)).item()
        worst = max(worst, abs(t - net.loss_value(X, y)) / abs(net.loss_value(X, y)))
    X, y = classification(256)
    net = NETS["2-8-8-1 tanh"]()
    for pair in (("W1[0,0]", "W3[1,0]"), ("W1[0,0]", "W1[1,0]")):
        ours = loss_surface(net, X, y, params=pair, span=3.0, resolution=101).losses
        peer = torch_surface(net, X, y, pair, 3.0, 101)().numpy()
        worst = max(worst, float(np.max(np.abs(ours - peer) / np.abs(ours))))
    print(f"\npeers checked: torch's losses and surfaces agree with the engine's to a relative {worst:.1e}")


def print_table(rows: list[Row]) -> None:
    print(f"python {platform.python_version()}, numpy {np.__version__}, ", end="")
    if torch:
        print(f"torch {torch.__version__} (CPU, float64, torch.set_num_threads(1))")
    else:
        print("torch not installed: no peer column, no ratios")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count() or 1
    print(f"{cores} cores, load average {load:.1f} over the last minute; wall-clock times (perf_counter_ns)")
    if load > 0.75 * cores:
        print(f"WARNING: other work is running (load {load:.1f} on {cores} cores): these figures are pessimistic")
    head = ["work", "median", "p90", "min", "target"] + (["torch median", "ours / torch"] if torch else [])
    table = []
    for row in rows:
        med, p90 = np.median(row.ours), np.percentile(row.ours, 90)
        target = "—" if row.target is None else f"≤ {fmt(row.target)}"
        cells = [row.work, fmt(med), fmt(p90), fmt(np.min(row.ours)), target]
        if torch:
            if row.torch is None:
                cells += ["—", "—"]
            else:
                tmed = np.median(row.torch)
                cells += [fmt(tmed), f"{med / tmed:.2f}"]
        table.append(cells)
    widths = [max(len(r[c]) for r in [head, *table]) for c in range(len(head))]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for cells in table:
        print(" | ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths))))
    print()
    for row in rows:
        med = np.median(row.ours)
        if row.target is None:
            continue
        if not np.isfinite(med):
            verdict = "NOT MEASURED"
        elif med <= row.target:
            verdict = f"meets target ({fmt(med)} ≤ {fmt(row.target)})"
        else:
            verdict = f"MISSES target ({fmt(med)} > {fmt(row.target)})"
        print(f"{row.work.strip()}: {verdict}" + (f"  [{row.note}]" if row.note else ""))


if __name__ == "__main__":
    raise SystemExit(main())
