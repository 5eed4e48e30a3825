"""BackpropExplorer in the kernel: slider change → figures' data updated; memory over 10,000 changes.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_widgets.py``.

Latency is measured from setting a slider's value (what a comm message from the browser does) to
the record recomputed and the diagram's new figure sent (the coalesced work flushed). The peer,
measured in the same run, is the least any app can do per event: one bare FigureWidget whose one
trace is restyled from one slider. Targets (2-2-2 explorer): median ≤ 10 ms, p95 ≤ 25 ms; memory
growth < 5 MB over 10,000 changes.
"""

from __future__ import annotations

import gc
import time

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import psutil

from explainer.widgets import BackpropExplorer


def latencies(set_value, flush, values) -> np.ndarray:
    out = []
    for v in values:
        t = time.perf_counter()
        set_value(float(v))
        flush()
        out.append(time.perf_counter() - t)
    return np.array(out) * 1e3


def bare_figure_peer(values) -> np.ndarray:
    fig = go.FigureWidget(go.Figure(go.Scatter(x=[0, 1, 2], y=[0, 0, 0])))
    slider = W.FloatSlider(min=-3, max=3, step=0.01)

    def on_change(change):
        with fig.batch_update():
            fig.data[0].y = [0, change["new"], 0]

    slider.observe(on_change, names="value")
    return latencies(lambda v: setattr(slider, "value", v), lambda: None, values)


def main() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(-2, 2, size=300).round(2)
    app = BackpropExplorer()
    slider = app.controls["W1[0,0]"]
    latencies(lambda v: setattr(slider, "value", v), app.flush, values[:30])  # warm-up
    explorer = latencies(lambda v: setattr(slider, "value", v), app.flush, values)
    app.controls["mode"].value = "values"
    values_mode = latencies(lambda v: setattr(slider, "value", v), app.flush, values)
    peer = bare_figure_peer(values)

    print(f"{'work':58s} {'median ms':>10s} {'p95 ms':>8s}  target")
    rows = [
        ("bare FigureWidget, one trace restyled (peer)", peer, None),
        ("BackpropExplorer 2-2-2, gradients mode, W1[0,0] slider", explorer, (10, 25)),
        ("BackpropExplorer 2-2-2, values mode, W1[0,0] slider", values_mode, (10, 25)),
    ]
    for name, ms, target in rows:
        med, p95 = np.median(ms), np.percentile(ms, 95)
        verdict = ""
        if target:
            ok = med <= target[0] and p95 <= target[1]
            verdict = f"≤ {target[0]} / ≤ {target[1]} ms: {'meets' if ok else 'MISSES'}"
            verdict += f"; {med / np.median(peer):.1f}× the peer"
        print(f"{name:58s} {med:10.2f} {p95:8.2f}  {verdict}")

    # A burst: 200 changes inside a running event loop end in one recomputation, on the last value.
    import asyncio

    async def burst():
        for v in np.linspace(-1, 1, 200):
            slider.value = float(v)
        await asyncio.sleep(0)

    runs = app._coalescer.runs
    t = time.perf_counter()
    asyncio.run(burst())
    print(
        f"burst of 200 changes in an event loop: {app._coalescer.runs - runs} recomputation(s), "
        f"{(time.perf_counter() - t) * 1e3:.1f} ms, ends at W1[0,0] = {app.network.get('W1[0,0]')}"
    )

    process = psutil.Process()
    app.controls["mode"].value = "gradients"
    for v in values:
        slider.value = float(v)
    gc.collect()
    start = process.memory_info().rss
    n_traces = len(app.figure.data)
    t = time.perf_counter()
    for v in np.resize(values, 10_000):
        slider.value = float(v)
    app.flush()
    gc.collect()
    growth = (process.memory_info().rss - start) / 2**20
    print(
        f"10,000 slider changes: {time.perf_counter() - t:.1f} s, RSS growth {growth:+.2f} MB (target < 5 MB: "
        f"{'meets' if growth < 5 else 'MISSES'}), traces {n_traces} → {len(app.figure.data)}"
    )


if __name__ == "__main__":
    main()
