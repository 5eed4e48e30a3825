"""What a learner does to a Playground, scripted: shared by the memory tests and ``bench_widgets_playground.py``.

Plain functions, no pytest here, so that the benchmark can import them (as ``bench_browser.py`` imports the
browser tests' ``jupyter_harness``). Every gesture goes the way the page's would: number rows get a value
(``Row.value = x``), menus a value, buttons a click, the diagram an event (``send_event``).
"""

from __future__ import annotations


def tick(app, n: int = 1) -> None:
    """What the page does while playing: for each revision it receives, ask for the next tick."""
    if not app.playing:
        app.play()
    for _ in range(n):
        if not app.playing:
            break
        app.diagram.send_event("tick", revision=app.diagram.revision)


def change(app, k: int) -> None:
    """The ``k``-th of a repeating round of 20 gestures: η, optimiser, batch size, steps per frame, ticks, a
    weight typed in, a point drawn, noise (a new run), a neuron more or less, and a typed number that is not one."""
    c = app.controls
    kind = k % 20
    if kind < 4:
        c["lr"].value = [0.1, 0.3, 0.03, 1.0][k % 4]
    elif kind < 6:
        c["optimizer"].value = ["sgd", "momentum", "adam"][k % 3]
    elif kind < 8:
        c["batch_size"].value = [10, 1000, 32][k % 3]
    elif kind < 10:
        c["steps_per_frame"].value = 1 + k % 5
    elif kind < 14:
        tick(app)
    elif kind == 14:
        app.diagram.send_event("edit", key="W1[0,0]", value=str(0.1 * (k % 7) - 0.3))
    elif kind == 15:
        app.diagram.send_event("map", x=(k % 11) - 5.0, y=(k % 7) - 3.0, shift=bool(k % 2), alt=False, radius=0.2)
    elif kind == 16:
        c["noise"].value = [0.05, 0.1, 0.15][k % 3]  # a new run: the history starts again
    elif kind == 17:
        app.diagram.send_event("select", key="neurons:1:+" if k % 40 < 20 else "neurons:1:-")
    elif kind == 18:
        app.pause()
    else:
        c["lr"].value = "0.1.2"  # an error message, the state kept
