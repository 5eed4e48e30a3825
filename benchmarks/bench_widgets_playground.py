"""How fast the Playground trains and redraws in the kernel, what a tick sends, and whether its memory stays flat.

Run ``.venv/bin/python benchmarks/bench_widgets_playground.py`` (``--quick`` for fewer repetitions;
``--memory`` adds the kernel's memory over 20,000 steps of the largest network, in a child process per
checkout: this one, and with ``--before /tmp/before`` another, e.g. ``git worktree add /tmp/before 165acb4``).

- one tick as the page asks for it while playing (``diagram.send_event("tick", ...)``): 10 optimiser steps of
  the Spiral preset (2-8-8-1, 500 points), then the one render: every neuron's map (20 × 20) and the output's
  (80 × 80) in two batched passes, the link styles, the texts, one message of bytes. Median and 95th
  percentile → ticks per second the kernel can make (the page's frames are measured by
  ``bench_browser_playground.py``). Its parts are timed alone.
- the same tick on the largest network the Playground draws (7 features, 8 hidden layers of 32).
- the bytes of one tick's message (binary buffers and JSON).
- latencies of gestures: η typed, a weight typed, a point drawn, a neuron added (a new network).
- the bytes a Playground sends when shown: the first app in a kernel (plotly.js comes with it, once) and a second.
- ``--memory``: resident memory every 2,000 steps up to 20,000, the largest network ticking 10 steps at a time
  as play does (the child is capped at 4 GB and 600 s).

Times are wall clock and CPU in this process (no browser, no ZeroMQ). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "tests"))  # the scripted learner the memory tests use

from playground_script import tick  # noqa: E402

from explainer.engine.features import FEATURES  # noqa: E402
from explainer.views.playground_frame import neuron_grids  # noqa: E402
from explainer.widgets import Playground  # noqa: E402
from explainer.widgets import playground as pg  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


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


def row(name: str, t: np.ndarray, extra: str = "") -> None:
    wall, cpu = t
    print(f"  {name:<58} median {ms(np.median(wall)):>9}  p95 {ms(np.percentile(wall, 95)):>9}  "
          f"cpu {ms(np.median(cpu)):>9}  {extra}")  # fmt: skip


def tick_costs(app: Playground, repeats: int, name: str) -> None:
    app.play()
    t = timed(lambda: tick(app), repeats)
    row(f"{name}: one tick (10 steps + render)", t, f"→ {1 / np.median(t[0]):.0f} ticks/s in the kernel")
    app.pause()
    sess = app.session
    row("    10 optimiser steps", timed(lambda: sess.step(10), repeats))
    d = app._domain
    row("    the maps (two batched passes)", timed(lambda: neuron_grids(app.network, app._features, d, app._task, False,
                                                                       pg.NEURON_RESOLUTION, app._map_resolution),
                                                          repeats))  # fmt: skip
    layout = app._layout()
    row("    the frame (maps, styles, texts, points)", timed(lambda: app._frame(layout), repeats))
    sent = app.diagram.sent_bytes
    updates = app.diagram.updates
    app.play()
    tick(app, 20)
    app.pause()
    per_tick = (app.diagram.sent_bytes - sent) / max(1, app.diagram.updates - updates)
    print(f"    binary bytes a tick: {per_tick:,.0f} (JSON texts besides: {len(json.dumps(app.diagram.texts)):,})")


def gestures(repeats: int) -> None:
    app = Playground(preset="spiral")
    c = app.controls
    values = iter(np.linspace(0.01, 0.05, 10_000))
    row("η typed (a number row)", timed(lambda: (setattr(c["lr"], "value", float(next(values))), app.flush()),
                                        repeats))  # fmt: skip
    w = iter(np.linspace(-1, 1, 10_000))
    row("a weight typed (edit on the diagram)", timed(lambda: (app.diagram.send_event("edit", key="W1[0,0]",
                                                                                       value=str(next(w))),
                                                                app.flush()), repeats))  # fmt: skip
    xs = iter(np.linspace(-5, 5, 10_000))
    row("a point drawn (click on the map)", timed(lambda: (app.diagram.send_event("map", x=float(next(xs)), y=1.0,
                                                                                   shift=False, alt=False, radius=0.1),
                                                            app.flush()), repeats))  # fmt: skip
    flip = iter(range(10_000))
    row("a neuron more or less (a new network)", timed(lambda: (app.diagram.send_event(
        "select", key="neurons:1:+" if next(flip) % 2 == 0 else "neurons:1:-"), app.flush()), repeats))  # fmt: skip
    app.close()


# ---------------------------------------------------------------------------------------------- memory, in a child
CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
sys.path.insert(0, {root!r})
sys.path.insert(0, {tests!r})
import psutil
from explainer.widgets import Playground
proc = psutil.Process()
if {new!r}:
    from playground_script import tick
    from explainer.engine.features import FEATURES
    app = Playground("circles", features=tuple(FEATURES), hidden=(32,) * 8)
    step = lambda: tick(app)
    steps = lambda: app.session.steps_done
else:
    app = Playground("circles", hidden=(32,) * 8, max_steps=20_000)
    def step():  # its Play widget counting up, as every 100 ms in the page (it trained and drew at once)
        app.controls["play"].value += 1
        getattr(app, "flush", lambda: None)()
    steps = lambda: app.session.steps_done
t0 = time.perf_counter()
print(json.dumps([0, proc.memory_info().rss, 0.0]), flush=True)
mark = 2000
while steps() < 20_000 and time.perf_counter() - t0 < {budget}:
    step()
    if steps() >= mark:
        print(json.dumps([steps(), proc.memory_info().rss, time.perf_counter() - t0]), flush=True)
        mark += 2000
"""


def memory(root: Path, new: bool, budget: float) -> list:
    code = CHILD.format(root=str(root), tests=str(ROOT / "tests"), new=new, budget=budget)
    rows = []
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=str(root)) as child:  # fmt: skip
        try:
            for line in child.stdout:
                rows.append(json.loads(line))
            child.wait(timeout=budget + 120)
        except subprocess.TimeoutExpired:
            child.kill()
        if child.returncode not in (0, None) and not rows[-1:]:
            print(child.stderr.read()[-2000:])
    return rows


def display_bytes() -> None:
    """The bytes a Playground sends when it is shown: every widget it made, its state as the comm's open message
    carries it (JSON and binary buffers). The first app in a kernel brings plotly.js (once); a second one does not."""
    import json

    import ipywidgets as W
    from ipywidgets.widgets.widget import _remove_buffers

    for label in ("the first app in the kernel", "a second Playground"):
        before = set(W.widgets.widget._instances)
        app = Playground(preset="spiral")
        app.flush()
        made = [w for k, w in W.widgets.widget._instances.items() if k not in before]
        sizes = []
        for w in made:
            state, _, buffers = _remove_buffers(w.get_state())
            n = len(json.dumps(state, default=str).encode()) + sum(len(b) for b in buffers)
            sizes.append((n, type(w).__name__))
        top = ", ".join(f"{name} {n / 1e6:.2f} MB" for n, name in sorted(sizes, reverse=True)[:2])
        print(f"  shown, {label}: {len(made)} widgets, {sum(n for n, _ in sizes) / 1e6:.2f} MB ({top})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--memory", action="store_true", help="memory over 20,000 steps of the largest network")
    parser.add_argument("--before", help="with --memory: the root of another checkout to measure too")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds a memory run may take (default 600)")
    parser.add_argument("--only-memory", action="store_true", help="with --memory: skip the timings")
    args = parser.parse_args(argv)
    repeats = 20 if args.quick else 100
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load average {load:.1f}; {repeats} repetitions")
    if not args.only_memory:
        display_bytes()  # first: plotly.js travels with the first app of this process, once
        app = Playground(preset="spiral")
        tick_costs(app, repeats, "Spiral preset, 2-8-8-1, 500 points")
        app.close()
        big = Playground("circles", features=tuple(FEATURES), hidden=(32,) * 8)
        tick_costs(big, max(5, repeats // 5), "largest: 7 features, 8 × 32 hidden")
        big.close()
        gestures(max(10, repeats // 4))
    if args.memory:
        runs = [("this checkout", ROOT, True)]
        if args.before:
            runs.append((f"before ({Path(args.before).name})", Path(args.before).resolve(), False))
        for name, root, new in runs:
            rows = memory(root, new, args.budget)
            print(f"memory, {name}: largest network, 10 steps a tick")
            for steps, rss, secs in rows:
                print(f"    step {steps:>6,}   resident {rss / 2**20:8.0f} MB   {secs:6.0f} s")
            if rows and rows[-1][0] < 20_000:
                print(f"    stopped at step {rows[-1][0]:,} (the budget of {args.budget:.0f} s or the 4 GB cap)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
