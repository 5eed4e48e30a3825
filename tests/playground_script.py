"""What a learner does to a Playground, scripted: shared by the memory test and ``bench_widgets_playground.py``.

Plain functions, no pytest here, so that the benchmark can import them (as ``bench_browser.py`` imports the
browser tests' ``jupyter_harness``).
"""

from __future__ import annotations


def tick(app, n: int = 1) -> None:
    """What the Play widget does every 100 ms: count up by one."""
    for _ in range(n):
        app.controls["play"].value += 1


def change(app, k: int) -> None:
    """The ``k``-th of a repeating round of 20 control changes: η, optimiser, batch, steps, ticks, noise, layers."""
    c = app.controls
    kind = k % 20
    if kind < 8:
        c["lr"].value = [0.1, 0.3, 0.03, 1.0][k % 4]
    elif kind < 10:
        c["optimizer"].value = ["sgd", "momentum", "adam"][k % 3]
    elif kind < 12:
        c["batch_size"].value = [0, 10, 32][k % 3]
    elif kind < 14:
        c["steps_per_update"].value = 1 + k % 5
    elif kind < 18:
        tick(app)
    elif kind == 18:
        c["noise"].value = [0.05, 0.1, 0.15][k % 3]  # a reset: the history starts again
    else:
        c["hidden"].value = ["8, 8", "8, x"][k % 2]  # every other one an error message
