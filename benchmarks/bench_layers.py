"""How fast the conv, max-pool, RNN and batch-norm backward passes are, against PyTorch on the CPU in the same run.

Run ``.venv/bin/python benchmarks/bench_layers.py`` (``--quick`` for fewer repetitions). Each row is one call of
the engine's public door (forward pass, backward pass from a given upstream gradient, every intermediate copied
into a read-only record), and PyTorch doing the same forward and backward with float64 autograd on the same
inputs: once with ``torch.set_num_threads(1)`` and once with its default thread count. Printed: the median over
the repetitions (after warm-up calls), torch's medians, and engine ÷ torch (below 1 means the engine is faster).
At the end, how far torch's gradients are from the engine's, so the ratios compare the same work.
Not part of the test suite: timings depend on the machine and on what else it is doing.

The rows:

- conv2d forward + backward: x (8, 3, 16, 16), kernel (8, 3, 3, 3), stride 1, padding 1;
  torch ``F.conv2d`` then ``backward``.
- max-pool forward + backward: x (8, 8, 16, 16), a 2×2 window at stride 2; torch ``F.max_pool2d``.
- 20-step RNN forward + backpropagation through time: N = 8, n_in = 8, n_h = 32, n_out = 4, a loss gradient at
  every step; torch ``nn.RNN(tanh)`` and ``nn.Linear``.
- batch norm forward + backward, training mode: x (256, 64); torch ``F.batch_norm(training=True)``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from explainer.batchnorm import batchnorm_backprop
from explainer.conv import conv2d_backprop, maxpool2d_backprop
from explainer.rnn import rnn_backprop

try:
    import torch
except ImportError:
    torch = None

NS = 1e-9


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


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


# ---------------------------------------------------------------------- the cases: engine call and torch peer
def conv_case(rng):
    x, kernel = rng.normal(size=(8, 3, 16, 16)), rng.normal(size=(8, 3, 3, 3))
    bias, grad_output = rng.normal(size=8), rng.normal(size=(8, 8, 16, 16))

    def ours():
        r = conv2d_backprop(x, kernel, bias, grad_output, stride=1, padding=1)
        return r.grad_input, r.grad_kernel, r.grad_bias

    def peer():
        leaves = [torch.tensor(a, requires_grad=True) for a in (x, kernel, bias)]
        torch.nn.functional.conv2d(*leaves, stride=1, padding=1).backward(torch.tensor(grad_output))
        return [leaf.grad for leaf in leaves]

    return "conv2d forward + backward, N=8, 3→8 channels, 16×16, 3×3, stride 1, padding 1", ours, peer


def maxpool_case(rng):
    x, grad_output = rng.normal(size=(8, 8, 16, 16)), rng.normal(size=(8, 8, 8, 8))

    def ours():
        return (maxpool2d_backprop(x, grad_output, size=2, stride=2).grad_input,)

    def peer():
        xt = torch.tensor(x, requires_grad=True)
        torch.nn.functional.max_pool2d(xt, 2, 2).backward(torch.tensor(grad_output))
        return (xt.grad,)

    return "max-pool forward + backward, N=8, 8 channels, 16×16, 2×2 at stride 2", ours, peer


def rnn_case(rng):
    T, n, n_in, n_h, n_out = 20, 8, 8, 32, 4
    xs, h0 = rng.normal(size=(T, n, n_in)), 0.5 * rng.normal(size=(n, n_h))
    W_xh, W_hh = rng.normal(size=(n_in, n_h)) / np.sqrt(n_in), rng.normal(size=(n_h, n_h)) / np.sqrt(n_h)
    b_h, W_hy, b_y = 0.1 * rng.normal(size=n_h), rng.normal(size=(n_h, n_out)), rng.normal(size=n_out)
    grad_outputs = rng.normal(size=(T, n, n_out))

    def ours():
        r = rnn_backprop(xs, h0, W_xh, W_hh, b_h, W_hy, b_y, grad_outputs)
        return r.grad_inputs, r.grad_W_xh, r.grad_W_hh, r.grad_b_h, r.grad_W_hy, r.grad_b_y

    peer = None
    if torch is not None:
        rnn = torch.nn.RNN(n_in, n_h, nonlinearity="tanh", dtype=torch.float64)
        linear = torch.nn.Linear(n_h, n_out, dtype=torch.float64)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.tensor(W_xh.T))
            rnn.weight_hh_l0.copy_(torch.tensor(W_hh.T))
            rnn.bias_ih_l0.copy_(torch.tensor(b_h))
            rnn.bias_hh_l0.zero_()
            linear.weight.copy_(torch.tensor(W_hy.T))
            linear.bias.copy_(torch.tensor(b_y))
        params = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, linear.weight, linear.bias]

        def peer():
            for p in params:
                p.grad = None
            xt = torch.tensor(xs, requires_grad=True)
            hidden, _ = rnn(xt, torch.tensor(h0[None]))
            linear(hidden).backward(torch.tensor(grad_outputs))
            w_ih, w_hh, b_ih, w_hy, b_y_ = (p.grad for p in params)
            return xt.grad, w_ih.T, w_hh.T, b_ih, w_hy.T, b_y_

    return "20-step RNN forward + backward through time, N=8, n_in=8, n_h=32, n_out=4", ours, peer


def batchnorm_case(rng):
    x, gamma = rng.normal(size=(256, 64)), rng.normal(size=64)
    beta, grad_output = rng.normal(size=64), rng.normal(size=(256, 64))

    def ours():
        r = batchnorm_backprop(x, gamma, beta, grad_output)
        return r.grad_input, r.grad_gamma, r.grad_beta

    def peer():
        leaves = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
        y = torch.nn.functional.batch_norm(leaves[0], None, None, leaves[1], leaves[2], training=True, eps=1e-5)
        y.backward(torch.tensor(grad_output))
        return [leaf.grad for leaf in leaves]

    return "batch norm forward + backward (training mode), N=256, D=64", ours, peer


CASES = (conv_case, maxpool_case, rnn_case, batchnorm_case)


# ---------------------------------------------------------------------- the table
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look, not the figures)")
    args = parser.parse_args(argv)
    repeats, warmup = (30, 5) if args.quick else (300, 30)
    default_threads = torch.get_num_threads() if torch else 0

    rows, agreement = [], []
    for make in CASES:
        work, ours, peer = make(np.random.default_rng(0))
        ours_t = sample(ours, repeats=repeats, warmup=warmup)
        cells = [work, fmt(np.median(ours_t))]
        if torch:
            peers = []
            for threads in (1, default_threads):
                torch.set_num_threads(threads)
                peers.append(sample(peer, repeats=repeats, warmup=warmup))
            torch.set_num_threads(default_threads)
            for t in peers:
                cells += [fmt(np.median(t)), f"{np.median(ours_t) / np.median(t):.2f}"]
            worst = max(float(np.abs(a - b.detach().numpy()).max() / np.abs(a).max()) for a, b in zip(ours(), peer()))
            agreement.append((work.split(",")[0], worst))
        rows.append(cells)

    print(f"python {platform.python_version()}, numpy {np.__version__}, ", end="")
    if torch:
        print(f"torch {torch.__version__} (CPU, float64 autograd; 1 thread, then its default of {default_threads})")
    else:
        print("torch not installed: no peer columns, no ratios")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count() or 1
    print(f"{cores} cores, load average {load:.1f}; median wall-clock time of {repeats} calls after {warmup} warm-up")
    if load > 0.75 * cores:
        print(f"WARNING: other work is running (load {load:.1f} on {cores} cores): these figures are pessimistic")
    head = ["work", "engine"]
    if torch:
        head += ["torch, 1 thread", "engine ÷ torch", f"torch, {default_threads} threads", "engine ÷ torch"]
    widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(r, widths))))
    if agreement:
        print("\npeers checked: largest relative difference of torch's gradients from the engine's")
        for work, worst in agreement:
            print(f"  {work}: {worst:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
