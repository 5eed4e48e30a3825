"""How fast the Playground trains and redraws, and whether its memory stays flat.

Run ``.venv/bin/python benchmarks/bench_widgets_playground.py`` (``--quick`` for fewer repetitions).
Prints one table and the verdicts against the targets:

- one training tick as the Play widget causes it (``controls["play"].value += 1``): 10 optimiser
  steps of a 2-8-8-1 tanh network on 200 points, then the three figures (decision boundary on a
  50 × 50 grid, loss curve, per-layer gradient norms), one ``plotly_update`` each. Median and 95th
  percentile → updates per second (target ≥ 10/s, i.e. a tick ≤ 100 ms). Its parts are timed alone.
- the peer, measured in the same run: the same tick with every figure drawn by its view function
  and sent through ``FigureSync.update`` (what the app would cost without its numbers-only patches).
- a tick late in a long run (history of 10,000 and 20,000 steps): the session joins its history
  on every tick, so the cost grows with the run (the reason for ``max_steps``).
- the latency of a learning-rate change, an optimiser change and a reset-causing noise change.
- the bytes one tick sends to the browser (widget messages: JSON plus binary buffers).
- memory over 10,000 control changes: resident set growth, open widgets, Python objects, trace counts.

Times are wall clock and CPU in this process (no browser, no ZeroMQ); the verdicts use CPU time, since
the wall clock on a shared 2-core machine measures the neighbours too (the header prints the load
average). What the browser does with the messages (plotly.js redrawing three figures) is not in
these numbers. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil
from ipywidgets.widgets import widget as widget_module

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the memory test's scripted learner

from playground_script import change, tick

from explainer.engine.boundary import decision_grid
from explainer.widgets import Playground
from explainer.widgets import playground as pg


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def timed(fn, repeats: int, warmup: int = 3) -> np.ndarray:
    """(2, repeats): wall-clock and CPU seconds of each call, after ``warmup`` calls not kept."""
    for _ in range(warmup):
        fn()
    out = np.empty((2, repeats))
    for k in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out[:, k] = time.perf_counter() - t0, time.process_time() - c0
    return out


def fresh(**kwargs) -> Playground:
    return Playground("circles", hidden="8, 8", lr=0.3, **kwargs)


def view_tick(app: Playground) -> None:
    """The peer: train, then draw every figure with its view function and send it through FigureSync."""
    session, ds = app.session, app.dataset
    session.step(app.settings.steps_per_update)
    history = pg.display_history(session.history)
    grid = decision_grid(session.network, ds.X, resolution=pg.GRID_RESOLUTION)
    figs = app._figures
    figs["boundary"].sync.update(app._plot_boundary(grid, ds))
    figs["loss"].sync.update(app._plot_loss(history))
    figs["norms"].sync.update(app._plot_norms(history))


def setter(control, values: list):
    """A call that sets ``control`` to the next of ``values`` (cycling), as a user moving it would."""
    cycle = itertools.cycle(values)

    def set_next() -> None:
        control.value = next(cycle)

    return set_next


class Bytes:
    """Bytes of every widget message sent while active (JSON text plus binary buffers)."""

    def __enter__(self):
        self.total = 0
        self._original = widget_module.Widget._send
        meter = self

        def _send(widget, msg, buffers=None):
            meter.total += len(json.dumps(msg, default=str)) + sum(memoryview(b).nbytes for b in buffers or ())
            return meter._original(widget, msg, buffers)

        widget_module.Widget._send = _send
        return self

    def __exit__(self, *exc):
        widget_module.Widget._send = self._original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and changes (a rough look)")
    args = parser.parse_args()
    repeats = 15 if args.quick else 60
    n_changes = 2_000 if args.quick else 10_000

    load = os.getloadavg()[0]
    print(f"bench_widgets_playground: {repeats} repetitions per row; load average {load:.2f}")
    if load > 1.0:
        print("  note: other work is running; every time below is pessimistic")
    rows: list[tuple[str, np.ndarray | None, str, str]] = []  # (work, times, target, note)

    # ---- a tick, its parts, and the peer
    app = fresh()
    t_tick = timed(lambda: tick(app), repeats)
    rows.append(("tick: 10 steps + 3 figure patches (100 train pts)", t_tick, "≤ 100 ms", ""))
    app200 = fresh(test_fraction=0.0)
    t_tick200 = timed(lambda: tick(app200), repeats)
    rows.append(("tick, 200 train points, no test split", t_tick200, "≤ 100 ms", ""))
    s = app.session
    rows.append(("  part: session.step(10)", timed(lambda: s.step(10), repeats), "", ""))
    grid = timed(lambda: decision_grid(s.network, app.dataset.X, pg.GRID_RESOLUTION), repeats)
    rows.append(("  part: decision_grid 50×50", grid, "", ""))
    rows.append(("  part: _render (history, grid, 3 patches)", timed(app._render, repeats), "", ""))
    t_peer = timed(lambda: view_tick(app), max(5, repeats // 4), warmup=1)
    rows.append(("peer: tick drawn by the view functions", t_peer, "", "FigureSync.update of 3 fresh figures"))
    app.close()
    app200.close()

    # ---- a long run
    long = fresh(max_steps=30_000)
    long.controls["steps_per_update"].value = 100
    for mark in (10_000, 20_000):
        while long.session.steps_done < mark:
            tick(long)
        long.controls["steps_per_update"].value = 10
        t = timed(lambda: tick(long), max(5, repeats // 4), warmup=1)
        held = (long.history.parameters.nbytes + long.history.gradients.nbytes) / 2**20
        rows.append((f"tick at step {mark:,}", t, "", f"history holds {held:.0f} MB of θ and ∇L"))
        long.controls["steps_per_update"].value = 100
    long.close()

    # ---- control latencies
    app = fresh()
    tick(app)
    for work, name, values, target in (
        ("lr change (no reset)", "lr", [float(v) for v in np.geomspace(0.01, 1.0, 7)], "≤ 10 ms"),
        ("optimiser change (no reset)", "optimizer", ["momentum", "adam", "sgd"], ""),
        ("noise change (new data + network: a reset)", "noise", [0.05, 0.1, 0.15, 0.2], "≤ 100 ms"),
    ):
        rows.append((work, timed(setter(app.controls[name], values), repeats), target, ""))
    with Bytes() as meter:
        for _ in range(10):
            tick(app)
    per_tick = meter.total / 10
    app.close()

    # ---- memory over many control changes
    app = fresh()
    for k in range(500):
        change(app, k)
    gc.collect()
    rss0, widgets0, objects0 = psutil.Process().memory_info().rss, len(widget_module._instances), len(gc.get_objects())
    traces0 = {name: len(w.data) for name, w in app.figures.items()}
    t0 = time.perf_counter()
    for k in range(500, 500 + n_changes):
        change(app, k)
    elapsed = time.perf_counter() - t0
    gc.collect()
    grown = (psutil.Process().memory_info().rss - rss0) / 2**20
    widgets = len(widget_module._instances) - widgets0
    objects = len(gc.get_objects()) - objects0
    traces_same = {name: len(w.data) for name, w in app.figures.items()} == traces0
    app.close()

    # ---- the table
    header = (
        f"{'work':52} {'median':>9} {'p95':>9} {'cpu med':>9} {'cpu p95':>9} {'per second':>11} {'target':>10}  note"
    )
    print(header)
    print("-" * len(header))
    for work, times, target, note in rows:
        median, p95 = float(np.median(times[0])), float(np.percentile(times[0], 95))
        cpu, cpu95 = float(np.median(times[1])), float(np.percentile(times[1], 95))
        print(
            f"{work:52} {ms(median):>9} {ms(p95):>9} {ms(cpu):>9} {ms(cpu95):>9} {1 / median:>10.0f}/s {target:>10}"
            f"  {note}"
        )
    print(f"{'bytes sent per tick (to the browser)':52} {per_tick / 1000:>8.1f} KB")
    print(
        f"{f'memory over {n_changes:,} control changes':52} {grown:>+7.2f} MB  open widgets {widgets:+d}, "
        f"Python objects {objects:+d}, trace counts {'unchanged' if traces_same else 'CHANGED'} "
        f"({elapsed:.0f} s, {n_changes / elapsed:.0f} changes/s)"
    )
    print()
    # Verdicts on CPU time: wall time on a shared 2-core machine measures the neighbours too.
    median_tick, p95_tick = float(np.median(t_tick[1])), float(np.percentile(t_tick[1], 95))
    p95_200 = float(np.percentile(t_tick200[1], 95))
    verdicts = [
        (
            p95_tick <= 0.100,
            f"tick: CPU median {ms(median_tick)}, p95 {ms(p95_tick)} → {1 / p95_tick:.0f} updates/s at p95 (≥ 10/s)",
        ),
        (p95_200 <= 0.100, f"tick on 200 training points: CPU p95 {ms(p95_200)} → {1 / p95_200:.0f} updates/s"),
        (True, f"patches vs view functions: {float(np.median(t_peer[1])) / median_tick:.1f}× less CPU per tick"),
        (grown < 5 and widgets == 0 and traces_same, f"memory: {grown:+.2f} MB over {n_changes:,} changes (< 5 MB)"),
    ]
    for ok, text in verdicts:
        print(f"{'ok  ' if ok else 'FAIL'} {text}")


if __name__ == "__main__":
    main()
