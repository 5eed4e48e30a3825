"""How fast the backprop figures build and how big they are.

Run ``make bench`` or ``.venv/bin/python benchmarks/bench_views.py`` (``--quick`` for fewer repetitions).
Prints one table: median and 90th percentile of the wall-clock build time per row, the median CPU
time of this process (what the verdicts use: on a shared 2-core machine other work inflates wall time,
not much CPU time), the JSON size the notebook stores (``fig.to_json()``), frames and traces, the
target, and a peer measured in the same run: Plotly alone rebuilding the same figure from its own dict
(``go.Figure(fig.to_plotly_json())``, CPU time), the floor of any figure with these traces, so
``ours / plotly`` is what extracting the numbers, writing the hover texts and styling the frames adds.
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
from explainer.views import animate_backward, animate_forward, plot_network, plot_neuron_graph, worked_derivation

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


def mazur():
    """The 2-2-2 worked example (Mazur): inputs .05, .10, targets .01, .99, biases frozen."""
    net = Network([2, 2, 2], activation="sigmoid", output_activation="sigmoid", loss="mse", seed=0)
    net.weights[0] = [[0.15, 0.25], [0.20, 0.30]]
    net.biases[0] = [0.35, 0.35]
    net.weights[1] = [[0.40, 0.50], [0.45, 0.55]]
    net.biases[1] = [0.60, 0.60]
    net.freeze("b1", "b2")
    return net.backprop([0.05, 0.10], [0.01, 0.99])


def wide():
    net = Network([2, 8, 8, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=2)
    return net.backprop([0.3, -0.7], [1.0])


@dataclass
class Row:
    work: str
    build: Callable[[], object]
    target_s: float | None  # build time target (None: informational)
    target_kb: float | None = None


def rows() -> list[Row]:
    rec, big = mazur(), wide()
    return [
        Row("animate_backward, 2-2-2", lambda: animate_backward(rec), 0.020, 100),
        Row("animate_forward, 2-2-2", lambda: animate_forward(rec), 0.020, 100),
        Row("plot_network values, 2-2-2", lambda: plot_network(rec), 0.020, 100),
        Row("plot_network gradients, 2-2-2", lambda: plot_network(rec, "gradients"), 0.020, 100),
        Row("plot_neuron_graph h1, 2-2-2", lambda: plot_neuron_graph(rec, 1, 0), 0.020, 100),
        Row("worked_derivation, 2-2-2", lambda: worked_derivation(rec), 0.005),
        Row("(info) animate_backward, 2-8-8-1 (88 weights)", lambda: animate_backward(big), None),
        Row("(info) plot_network gradients, 2-8-8-1", lambda: plot_network(big, "gradients"), None),
        Row("(info) plot_neuron_graph h2_4, 2-8-8-1", lambda: plot_neuron_graph(big, 2, 3), None),
    ]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a rough look)")
    args = parser.parse_args()
    repeats, warmup = (7, 2) if args.quick else (31, 3)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_views: {repeats} repetitions per row after {warmup} warm-up calls; load average {load:.2f}")
    if load > 1.0:
        print("  note: other work is running; every time below is pessimistic")
    header = (
        f"{'work':48} {'median':>9} {'p90':>9} {'cpu':>9} {'JSON':>9} {'frames':>6} {'traces':>6} {'target':>18}"
        f" {'plotly cpu':>10} {'ours/plotly':>11}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for row in rows():
        wall, cpu_times = sample(row.build, repeats=repeats, warmup=warmup)
        result = row.build()
        median, p90, cpu = float(np.median(wall)), float(np.percentile(wall, 90)), float(np.median(cpu_times))
        if isinstance(result, go.Figure):
            spec = result.to_plotly_json()
            size_kb = len(result.to_json()) / 1000
            _, peer_cpu = sample(lambda spec=spec: go.Figure(spec), repeats=repeats, warmup=warmup)
            peer = float(np.median(peer_cpu))
            frames, traces = len(result.frames), len(result.data)
            size, peer_txt, ratio = f"{size_kb:.1f} KB", ms(peer), f"{cpu / peer:.2f}"
        else:
            size_kb, frames, traces = len(result) / 1000, 0, 0
            size, peer_txt, ratio = f"{size_kb:.1f} KB", "—", "—"
        target = "—"
        if row.target_s is not None:
            target = f"≤ {ms(row.target_s)}" + (f", ≤ {row.target_kb:.0f} KB" if row.target_kb else "")
            ok = cpu <= row.target_s and (row.target_kb is None or size_kb <= row.target_kb)
            verdicts.append(f"{'ok  ' if ok else 'SLOW'} {row.work}: {ms(cpu)} CPU ({ms(median)} wall), {size}")
        print(
            f"{row.work:48} {ms(median):>9} {ms(p90):>9} {ms(cpu):>9} {size:>9} {frames:>6} {traces:>6} {target:>18}"
            f" {peer_txt:>10} {ratio:>11}"
        )
    print()
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
