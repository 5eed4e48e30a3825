"""How fast the loss-surface and training figures build and how big they are.

Run ``.venv/bin/python benchmarks/bench_views_surface.py`` (``--quick`` for fewer repetitions).
Prints one table: median and 90th percentile of the wall-clock build time, the median CPU time of this
process (the verdicts use it: on a shared 2-core machine other work inflates wall time, not much CPU
time), the JSON size a notebook stores (``len(fig.to_json())``), frames and traces, the target, and a
peer measured in the same run: Plotly alone rebuilding the same figure from its own dict
(``go.Figure(fig.to_plotly_json())``, CPU time), the floor of any figure holding these traces and frames,
so ``ours / plotly`` is what projecting the paths, scaling the arrows and laying out the figure adds.

The data: 200 moons points; a 2-8-8-1 tanh network with a bce output trained for 300 steps by sgd,
momentum and adam from the same start; a 61×61 loss surface over the top two principal directions of
the adam run. Engine work (training, the surface) happens once, before timing: only views are timed,
except for plot_decision_boundary, whose row includes its one batched forward pass over 100×100 points.
Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from explainer import Network
from explainer.course.datasets import make_dataset
from explainer.engine.loss_surface import loss_surface
from explainer.engine.training import train
from explainer.views import (
    animate_descent,
    plot_decision_boundary,
    plot_gradient_norms,
    plot_loss_curve,
    plot_loss_surface,
)

NS = 1e-9


def sample(fn: Callable[[], object], *, repeats: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and process-CPU durations of ``repeats`` calls of fn in seconds, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = np.empty(repeats), np.empty(repeats)
    for k in range(repeats):
        t0, c0 = time.perf_counter_ns(), time.process_time_ns()
        fn()
        wall[k], cpu[k] = time.perf_counter_ns() - t0, time.process_time_ns() - c0
    return wall * NS, cpu * NS


@dataclass
class Row:
    work: str
    build: Callable[[], go.Figure]
    target_s: float | None  # build time target (None: informational)
    target_mb: float | None = None


def setup():
    ds = make_dataset("moons", 200, noise=0.1, seed=0)
    X, y = ds.X_train, ds.targets("train")
    start = Network([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    histories = {}
    for name, lr in (("sgd", 0.5), ("momentum", 0.1), ("adam", 0.02)):
        net = start.copy()
        histories[name] = train(net, X, y, optimizer=name, lr=lr, steps=300)
    surface = loss_surface(net, X, y, directions="pca", history=histories["adam"], span=1.0, resolution=61)
    return net, X, ds.y_train, histories, surface


def rows(net, X, labels, histories, surface) -> list[Row]:
    adam = histories["adam"]
    return [
        Row(
            "animate_descent, 1 path, 100 frames, 61×61, both views", lambda: animate_descent(surface, adam), 0.300, 1.5
        ),
        Row("(info) the same, 3 paths (sgd, momentum, adam)", lambda: animate_descent(surface, histories), None),
        Row(
            "(info) the same, 3 paths, contour only",
            lambda: animate_descent(surface, histories, kind="contour"),
            None,
        ),
        Row(
            "plot_loss_surface, 61×61, both views, 3 paths",
            lambda: plot_loss_surface(surface, history=histories),
            0.150,
        ),
        Row(
            "plot_decision_boundary, 100×100 grid, 2-8-8-1, 200 points",
            lambda: plot_decision_boundary(net, X, labels, resolution=100),
            0.150,
        ),
        Row("plot_gradient_norms, 301 steps × 3 layers", lambda: plot_gradient_norms(adam), 0.060),
        Row("(info) plot_loss_curve, 301 steps", lambda: plot_loss_curve(adam), None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a rough look")
    args = parser.parse_args()
    repeats, warmup = (3, 1) if args.quick else (11, 2)

    load = os.getloadavg()[0]
    print(f"loss-surface and training figures — {repeats} repetitions after {warmup} warm-up; load average {load:.2f}")
    if load > 1.0:
        print("  warning: other work is running; wall times are pessimistic (the verdicts use CPU time)")
    print()
    header = (
        f"{'work':<58} {'median ms':>9} {'p90 ms':>7} {'cpu ms':>7} {'JSON MB':>8} {'frames':>6} {'traces':>6} "
        f"{'target':>12} {'plotly ms':>9} {'ours/plotly':>11}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for row in rows(*setup()):
        wall, cpu = sample(row.build, repeats=repeats, warmup=warmup)
        fig = row.build()
        size_mb = len(fig.to_json()) / 1e6
        spec = fig.to_plotly_json()
        _, peer_cpu = sample(lambda spec=spec: go.Figure(spec), repeats=max(3, repeats // 2), warmup=1)
        med, p90, cpu_med, peer = np.median(wall), np.percentile(wall, 90), np.median(cpu), np.median(peer_cpu)
        target = "—"
        if row.target_s is not None:
            target = f"≤{row.target_s * 1e3:.0f} ms" + (f", {row.target_mb:g} MB" if row.target_mb else "")
        print(
            f"{row.work:<58} {med * 1e3:9.1f} {p90 * 1e3:7.1f} {cpu_med * 1e3:7.1f} {size_mb:8.3f} "
            f"{len(fig.frames):6d} {len(fig.data):6d} {target:>12} {peer * 1e3:9.1f} {cpu_med / peer:11.2f}"
        )
        if row.target_s is not None:
            ok_time = cpu_med <= row.target_s
            ok_size = row.target_mb is None or size_mb <= row.target_mb
            verdicts.append((row.work, ok_time and ok_size, cpu_med, size_mb, row))
    print()
    for work, ok, cpu_med, size_mb, row in verdicts:
        size = f", {size_mb:.2f} MB ≤ {row.target_mb:g} MB" if row.target_mb else ""
        mark = "ok  " if ok else "MISS"
        print(f"{mark} {work}: {cpu_med * 1e3:.0f} ms CPU (target {row.target_s * 1e3:.0f} ms){size}")


if __name__ == "__main__":
    main()
