"""LossSurfaceExplorer in the kernel: control change → figures' data updated; memory over 10,000 frame changes.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_widgets_surface.py`` (``--quick``: fewer changes).

Latency is measured from setting a control's value (what a comm message from the browser does) to the
FigureWidget's data updated in the kernel (the coalesced work flushed; outside an event loop it runs
at once). Cases, on the default app (the 2-2-2 worked example, SGD + momentum + Adam, 100 steps, an
81 × 81 surface):

- frame slider: one animation frame applied as one plotly_update (what ▶ Play does every tick);
- η: three optimisers retrained, the animation rebuilt by ``animate_descent``, the figure updated;
- span: the surface recomputed as well;
- click: ``start_from`` (retrain from a new start).

The peer, measured in the same run, is the least any app can do per event: one bare FigureWidget whose
one trace is restyled from one slider. Memory: RSS (psutil) over 10,000 frame-slider changes, and
tracemalloc's count of live Python allocations over a shorter run (it slows every allocation down).
Wall-clock median and 95th percentile, and the median CPU time of this process (on a shared machine
other work inflates wall time, not much CPU time). Targets: frame median ≤ 10 ms; memory growth < 5 MB.
Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from explainer.widgets import LossSurfaceExplorer

CPU: dict[int, np.ndarray] = {}  # id(wall-clock array) → this process's CPU time per change, ms


def latencies(change, values, flush) -> np.ndarray:
    """Wall-clock milliseconds from ``change(v)`` to the work flushed, per value (CPU time kept in CPU)."""
    wall, cpu = np.empty(len(values)), np.empty(len(values))
    for k, v in enumerate(values):
        t, c = time.perf_counter(), time.process_time()
        change(v)
        flush()
        wall[k], cpu[k] = time.perf_counter() - t, time.process_time() - c
    wall *= 1e3
    CPU[id(wall)] = cpu * 1e3
    return wall


def bare_figure_peer(values) -> np.ndarray:
    fig = go.FigureWidget(go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 0, 0])))
    slider = W.FloatSlider(min=-3, max=3, step=0.01)

    def on_change(change):
        with fig.batch_update():
            fig.data[0].y = [0, change["new"], 0]

    slider.observe(on_change, names="value")
    return latencies(lambda v: setattr(slider, "value", float(v)), values, lambda: None)


def memory(app: LossSurfaceExplorer, n: int, traced: bool) -> float:
    """Bytes gained over ``n`` frame-slider changes (RSS, or tracemalloc's live allocations)."""
    step, frames = app.controls["step"], app.n_frames
    for k in range(300):  # warm-up: every frame's update is built and cached once
        step.value = k % frames
    gc.collect()
    if traced:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = psutil.Process().memory_info().rss
    for k in range(n):
        step.value = (k * 37) % frames
    gc.collect()
    if traced:
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    else:
        after = psutil.Process().memory_info().rss
    return after - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 changes a case, 2,000 for memory")
    args = parser.parse_args()
    n_fast = 300 if not args.quick else 100
    n_slow = 100  # the brief's minimum; each one trains three optimisers and rebuilds the animation
    n_memory = 10_000 if not args.quick else 2_000

    rng = np.random.default_rng(0)
    app = LossSurfaceExplorer()
    flush = app._flush
    widget = app.figure
    traces = len(widget.data)
    updates = []
    real = widget.plotly_update

    def counting(*a, **k):
        updates.append(1)
        return real(*a, **k)

    widget.plotly_update = counting
    frames = app.n_frames
    step = app.controls["step"]
    frame_values = (np.arange(n_fast) * 37) % frames  # never the same frame twice in a row
    latencies(lambda v: setattr(step, "value", int(v)), frame_values[:50], flush)  # warm-up
    before = len(updates)
    frame = latencies(lambda v: setattr(step, "value", int(v)), frame_values, flush)
    per_frame = (len(updates) - before) / n_fast

    lr = app.controls["lr"]
    lr_values = np.round(np.geomspace(0.05, 2.0, n_slow), 4)
    before = len(updates)
    lr_ms = latencies(lambda v: setattr(lr, "value", float(v)), lr_values, flush)
    per_lr = (len(updates) - before) / n_slow

    span = app.controls["span"]
    span_values = np.round(np.linspace(6.0, 9.0, 20), 1)
    span_ms = latencies(lambda v: setattr(span, "value", float(v)), span_values, flush)

    points = rng.uniform(-3, 3, size=(20, 2))
    click_ms = latencies(lambda p: app.start_from(float(p[0]), float(p[1])), points, flush)

    peer = bare_figure_peer(rng.uniform(-2, 2, size=n_fast).round(2))
    assert app.figure is widget and len(widget.data) == traces  # updated in place throughout

    print(f"{'work':62s} {'n':>5s} {'median ms':>10s} {'p95 ms':>9s} {'CPU ms':>7s} {'× peer':>7s}  target")
    rows = [
        ("bare FigureWidget, one trace restyled (peer)", peer, None),
        ("frame slider → one frame applied (▶ Play's tick)", frame, "median ≤ 10 ms"),
        ("η → 3 optimisers retrained, animation rebuilt, figure updated", lr_ms, None),
        ("span → surface recomputed, retrained, rebuilt, updated", span_ms, None),
        ("click → start_from(u, v): retrained, rebuilt, updated", click_ms, None),
    ]
    peer_median = float(np.median(peer))
    for name, ms, target in rows:
        med, p95, cpu = float(np.median(ms)), float(np.percentile(ms, 95)), float(np.median(CPU[id(ms)]))
        print(f"{name:62s} {len(ms):5d} {med:10.2f} {p95:9.2f} {cpu:7.2f} {med / peer_median:7.1f}  {target or ''}")
    print(f"plotly_update messages per frame change: {per_frame:.2f}; per η change: {per_lr:.2f} (target: 1)")

    widget.plotly_update = real
    rss = memory(app, n_memory, traced=False)
    traced_n = n_memory // 5
    traced = memory(app, traced_n, traced=True)
    print(f"RSS growth over {n_memory:,} frame-slider changes: {rss / 2**20:.2f} MB (target < 5 MB)")
    print(f"tracemalloc growth over {traced_n:,} frame-slider changes: {traced / 2**20:.3f} MB (target < 5 MB)")
    print(f"FigureWidget traces: {len(app.figure.data)} before and after (constant: {len(app.figure.data) == traces})")


if __name__ == "__main__":
    main()
