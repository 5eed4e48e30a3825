"""What every app shares: error display that keeps the last good state, coalesced updates,
one-message figure updates, lecture mode, and state files.
"""

from __future__ import annotations

import asyncio
import html
import json
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import Undefined

from ._figurewidget import FigureWidget

LECTURE_CSS = """
<style>
.bpx-app { font-size: 14px; }
.bpx-app.bpx-lecture, .bpx-app.bpx-lecture .widget-label, .bpx-app.bpx-lecture .widget-readout,
.bpx-app.bpx-lecture .widget-html-content, .bpx-app.bpx-lecture button, .bpx-app.bpx-lecture select,
.bpx-app.bpx-lecture input, .bpx-app.bpx-lecture .widget-toggle-button, .bpx-app.bpx-lecture .jp-RenderedMarkdown,
.bpx-app.bpx-lecture .p-TabBar-tabLabel, .bpx-app.bpx-lecture .lm-TabBar-tabLabel { font-size: 22px !important; }
.bpx-app.bpx-lecture .widget-inline-hbox, .bpx-app.bpx-lecture .widget-button { min-height: 40px; }
.bpx-app.bpx-lecture button { height: auto !important; padding: 6px 14px; }
.bpx-app.bpx-lecture .widget-slider .noUi-handle { width: 22px; height: 22px; }
.bpx-error { color: #a40000; background: #fff0f0; border: 1px solid #d62728; border-radius: 4px; padding: 6px 10px; }
.bpx-ok { color: #333; }
.bpx-selected .widget-label { font-weight: bold; color: #0072B2; }
.bpx-loss { font-size: 1.4em; font-family: Menlo, Consolas, monospace; }
</style>
"""


class Coalescer:
    """Run ``work`` once for a burst of requests: the last state wins, stale work never queues up.

    In a running event loop (a kernel, Voilà) the work is scheduled with ``call_soon``, so a burst
    of slider messages handled back to back ends in one run. Without a loop (plain Python, pytest)
    it runs at once. ``flush()`` runs pending work now (readers call it so they never see stale state).
    """

    def __init__(self, work: Callable[[], None], schedule: Callable[[Callable[[], None]], None] | None = None):
        self._work = work
        self._schedule = schedule
        self.pending = False
        self.runs = 0

    def request(self) -> None:
        if self.pending:
            return
        self.pending = True
        schedule = self._schedule or _default_schedule
        schedule(self.flush)

    def flush(self) -> None:
        if not self.pending:
            return
        self.pending = False
        self.runs += 1
        self._work()


def _default_schedule(callback: Callable[[], None]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        callback()
    else:
        loop.call_soon(callback)


class FigureSync:
    """A FigureWidget built once, then brought up to date with one message per call.

    ``update(fig)`` takes a freshly built figure with the same traces, as a ``go.Figure`` or as the
    plain dict a view's ``*_spec`` function returns (no Plotly validation: the fast path), and sends
    the trace properties and the named layout keys in a single ``plotly_update`` message (Plotly
    itself drops unchanged values). If the trace structure changed, the widget is rebuilt, the old one
    closed, and ``on_rebuild`` tells the app to put the new one in its layout.
    """

    def __init__(self, fig: go.Figure | dict, layout_keys: Iterable[str] = ("annotations", "shapes", "title")):
        self.layout_keys = tuple(layout_keys)
        spec = _without_frames(fig)
        self.widget = FigureWidget(spec)
        self._last = spec["data"]
        self._signature = _signature(self.widget.to_plotly_json())
        self.on_rebuild: Callable[[go.FigureWidget], None] | None = None
        self.updates = 0  # messages sent (tests check one per event)

    def update(self, fig: go.Figure | dict) -> None:
        spec = _without_frames(fig)
        traces = spec["data"]
        if _signature(spec) != self._signature:
            old = self.widget
            self.widget = FigureWidget(_without_frames(spec))
            self._signature = _signature(spec)
            self._last = traces
            if self.on_rebuild is not None:
                self.on_rebuild(self.widget)
            old.close()
            return
        # Only what changed since the last call: Plotly checks every (key, trace) pair it is given,
        # which cost more than the whole engine when the static geometry was resent each time.
        last = self._last
        keys = sorted({k for tr in traces for k in tr} - {"type", "uid"})
        changed_keys = [k for k in keys if any(not _same(tr.get(k), old.get(k)) for tr, old in zip(traces, last))]
        indexes = [
            i
            for i, (tr, old) in enumerate(zip(traces, last))
            if any(not _same(tr.get(k), old.get(k)) for k in changed_keys)
        ]
        layout = spec.get("layout", {})
        relayout = {k: layout.get(k) for k in self.layout_keys}
        # A trace that lacks a key (a 2-D trace beside a 3-D one) gets Undefined: Plotly leaves it alone.
        restyle = {k: [traces[i].get(k, Undefined) for i in indexes] for k in changed_keys}
        self.widget.plotly_update(restyle_data=restyle, relayout_data=relayout, trace_indexes=indexes)
        self._last = traces
        self.updates += 1

    def rebuild(self, fig: go.Figure | dict) -> None:
        """A new widget for a new look (lecture size, theme): the old one is closed."""
        self._signature = None
        self.update(fig)

    def close(self) -> None:
        self.widget.close()


def close_widget(widget: W.Widget) -> None:
    """Close a widget and its Layout and Style models (ipywidgets leaves those open)."""
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, W.Widget):
            part.close()
    widget.close()


def _without_frames(fig: go.Figure | dict) -> dict:
    spec = _plain(fig if isinstance(fig, dict) else fig.to_dict())
    return {k: v for k, v in spec.items() if k != "frames"} | {"data": [_drawable(tr) for tr in spec["data"]]}


def _drawable(trace: dict) -> dict:
    """The trace with its empty point texts as a blank (" "), which draws nothing either.

    plotly.js removes the SVG text of a point whose text is empty and never adds it back on a later
    restyle, so a label hidden once (a δ not yet reached by the backward pass) would stay undrawn when
    its number comes. A blank keeps the text element alive.
    """
    text = trace.get("text")
    if not isinstance(text, list) or "" not in text:
        return trace
    return trace | {"text": [" " if t == "" else t for t in text]}


def _plain(value):
    """numpy arrays and scalars as plain lists and floats, recursively.

    A FigureWidget holding numpy arrays (or Plotly's base64 typed-array dicts) fails to merge the
    trace defaults plotly.js reports back, after which its clicks are lost; plain JSON does not.
    """
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _same(a, b) -> bool:
    """Equality for trace property values (numbers, strings, lists, dicts, numpy arrays)."""
    if a is b:
        return True
    try:
        equal = a == b
    except ValueError:  # numpy arrays of different shapes
        return False
    if isinstance(equal, bool):
        return equal
    return bool(np.array_equal(a, b))


def _signature(spec: dict) -> tuple:
    return tuple((tr.get("type", "scatter"), tr.get("name")) for tr in spec["data"])


class App:
    """Base class of the apps: a root box, a message line, controls, guarded callbacks.

    Subclasses build ``self.root`` (a widget), fill ``self.controls`` (name → widget) and call
    ``self._guard(fn)`` around everything a user event triggers.
    """

    def __init__(self, lecture: bool = False):
        self.controls: dict[str, W.Widget] = {}
        self.errors: list[str] = []  # every message shown, newest last (tests read it)
        self.message = W.HTML(value="", layout=W.Layout(min_height="1.6em"))
        self._css = W.HTML(LECTURE_CSS)
        self._silent = 0  # > 0 while the app itself sets controls (no callbacks)
        self.lecture = lecture

    # ------------------------------------------------------------------ display
    def _wrap(self, body: W.Widget) -> W.Box:
        root = W.VBox([self._css, body, self.message])
        root.add_class("bpx-app")
        if self.lecture:
            root.add_class("bpx-lecture")
        return root

    def _ipython_display_(self):  # pragma: no cover - exercised in the browser tests
        from IPython.display import display

        display(self.root)

    def _repr_mimebundle_(self, **kwargs):
        return self.root._repr_mimebundle_(**kwargs)

    def set_lecture(self, on: bool) -> None:
        """Large fonts, nodes and labels for a lecture hall (also the figures' ``lecture`` scale)."""
        self.lecture = bool(on)
        if on:
            self.root.add_class("bpx-lecture")
        else:
            self.root.remove_class("bpx-lecture")
        self._guard(self.refresh)

    def refresh(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        """Close every widget of the app (figures included), with their layout and style models."""
        for widget in self._all_widgets():
            close_widget(widget)

    def _all_widgets(self) -> list[W.Widget]:
        return [self.root, self.message, self._css, *self.controls.values()]

    # ------------------------------------------------------------------ errors
    def show_message(self, text: str, error: bool = False) -> None:
        """A line in the app: a plain note, or an error in a red box."""
        css = "bpx-error" if error else "bpx-ok"
        self.message.value = f'<div class="{css}">{html.escape(text)}</div>' if text else ""
        if error:
            self.errors.append(text)

    def _guard(self, fn: Callable[[], None], restore: Callable[[], None] | None = None) -> bool:
        """Run ``fn``; on any exception show it in the app, run ``restore`` and return False.

        No exception from a callback is lost: ipywidgets would print it to the browser's log only.
        """
        try:
            fn()
        except Exception as err:  # every failure must reach the user
            detail = f"{type(err).__name__}: {err}"
            if not isinstance(err, ValueError):
                detail += " (" + traceback.format_exc(limit=-1).strip().splitlines()[-1] + ")"
            if restore is not None:
                try:
                    restore()
                except Exception as second:
                    detail += f"; restoring the last good state also failed: {second}"
            self.show_message(detail + " — the last good state is kept.", error=True)
            return False
        return True

    def _set_silently(self, widget: W.Widget, value) -> None:
        """Set a control without triggering the app's own callbacks."""
        self._silent += 1
        try:
            widget.value = value
        finally:
            self._silent -= 1

    # ------------------------------------------------------------------ state files
    def state(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_state(self, state: dict) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def save_state(self, path: str | Path) -> None:
        """Write the network and settings to a small JSON file an instructor can share."""
        Path(path).write_text(json.dumps({"app": type(self).__name__, **self.state()}, indent=1))

    def load_state(self, path: str | Path) -> None:
        """Read a file written by ``save_state`` (ValueError if it is not one of this app's)."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"path {str(path)!r} is not a readable state file: {err}") from None
        if not isinstance(data, dict) or data.get("app") != type(self).__name__:
            raise ValueError(f"path {str(path)!r} does not hold a {type(self).__name__} state")
        self.set_state(data)
