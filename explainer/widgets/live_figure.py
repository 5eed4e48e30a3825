"""The one live-figure path: a plotly figure in the page, brought up to date with one message per event.

``LiveFigure(spec)`` shows a figure a view built (a plain ``{"data", "layout"}`` dict, or a ``go.Figure``).
``update(spec)`` takes the next figure the view builds and sends only what differs from the last one, in
one message: per trace the keys whose values changed, and the layout keys that changed. The page merges
them and calls ``Plotly.react``, which redraws only what changed. Views say what a figure is; the widget
only sends the difference (it never re-derives a view's colours, markers or hover texts).

``frames`` (a view's animation frames, plain dicts) play in the page itself, with a ▶/❚❚ button, a frame
slider and a status line per frame (``frame_status``): no round trip to the kernel per frame. ``frame``
is the frame shown; the page reports it when the learner scrubs or playback stops, and setting it from
Python shows that frame. Clicks on points come back to ``on_click(callback)``.

plotly.js (about 5 MB) travels once per page: every LiveFigure refers to one ``PlotlyLibrary`` model, whose
``source`` the first figure on a page imports and every other figure reuses (also across notebooks of the
same version). Nothing is fetched from the internet.
"""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Callable
from pathlib import Path

import anywidget
import numpy as np
import traitlets
from ipywidgets import widget_serialization

_HERE = Path(__file__).parent
_PLOTLY_JS = Path(__import__("plotly").__file__).parent / "package_data" / "plotly.min.js"


@functools.cache
def _plotly_source() -> tuple[str, str]:
    text = _PLOTLY_JS.read_text(encoding="utf-8")
    head = text[:400]
    version = head.split("plotly.js v", 1)[1].split()[0] if "plotly.js v" in head else str(len(text))
    return text, version


class PlotlyLibrary(anywidget.AnyWidget):
    """plotly.js itself, in one model per kernel that every LiveFigure refers to (no view of its own)."""

    _esm = "export default {};"
    source = traitlets.Unicode().tag(sync=True)
    version = traitlets.Unicode().tag(sync=True)

    def __init__(self):
        source, version = _plotly_source()
        super().__init__(source=source, version=version)


_library: PlotlyLibrary | None = None


def plotly_library() -> PlotlyLibrary:
    """The kernel's one PlotlyLibrary (made again if it was closed)."""
    global _library
    if _library is None or _library.comm is None:
        _library = PlotlyLibrary()
    return _library


def plain(value):
    """``value`` as strict JSON: arrays (numpy, or plotly's base64 typed-array dicts) and numpy scalars as lists
    and numbers, NaN and ±∞ as None (the page's JSON.parse refuses NaN)."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
            shape = value.get("shape")
            if shape:
                arr = arr.reshape([int(n) for n in str(shape).split(",")])
            return plain(arr)
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            out = value.astype(object)
            out[~np.isfinite(value)] = None
            return out.tolist()
        return value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def as_spec(fig) -> dict:
    """A figure (``go.Figure`` or dict) as a plain ``{"data", "layout"}`` dict without frames."""
    if hasattr(fig, "to_plotly_json"):
        fig = fig.to_plotly_json()
    if not isinstance(fig, dict) or not isinstance(fig.get("data"), (list, tuple)):
        raise ValueError(f"fig must be a plotly figure or a dict with a 'data' list; got {type(fig).__name__}")
    return {"data": plain(list(fig["data"])), "layout": plain(dict(fig.get("layout") or {}))}


class LiveFigure(anywidget.AnyWidget):
    """A plotly figure drawn in the page and updated by differences; ``figure`` is what is drawn."""

    _esm = _HERE / "live_figure.js"
    _css = _HERE / "live_figure.css"
    library = traitlets.Instance(PlotlyLibrary).tag(sync=True, **widget_serialization)
    spec = traitlets.Dict().tag(sync=True)  # the figure as first drawn: revision 0 (later ones go as messages)
    frames = traitlets.List().tag(sync=True)
    frame_status = traitlets.List().tag(sync=True)  # one status line (HTML) per frame
    frame_ms = traitlets.Int(100).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)  # a line under the figure (what a click does)

    def __init__(self, fig, **kwargs):
        spec = as_spec(fig)
        super().__init__(library=plotly_library(), spec=spec, **kwargs)
        self._current = copy.deepcopy(spec)
        self.revision = 0  # of what the kernel last sent; a view that is behind asks for the whole figure
        self._click_callbacks: list[Callable[[int, int, dict], None]] = []
        self.updates = 0  # patch messages sent (tests count one per event)
        self.on_msg(self._on_message)

    # ------------------------------------------------------------------ reading
    @property
    def figure(self):
        """What the page draws now, as a ``go.Figure`` (for tests and a look in Python)."""
        import plotly.graph_objects as go

        return go.Figure(copy.deepcopy(self._current))

    @property
    def current(self) -> dict:
        """What the page draws now, as the plain dict (do not modify)."""
        return self._current

    def frame_figure(self, k: int):
        """What the page draws at frame ``k`` of ``frames``, as a ``go.Figure`` (the page merges the frame's trace
        properties into the figure the same way: a nested dict such as ``marker`` one level deep)."""
        import plotly.graph_objects as go

        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(self.frames):
            raise ValueError(f"k must be a frame index from 0 to {len(self.frames) - 1}; got {k!r}")
        frame = self.frames[k]
        data = copy.deepcopy(self._current["data"])
        for index, change in zip(frame["traces"], frame["data"]):
            trace = data[index]
            for key, value in change.items():
                if isinstance(value, dict) and isinstance(trace.get(key), dict):
                    trace[key] = {**trace[key], **value}
                else:
                    trace[key] = value
        return go.Figure({"data": data, "layout": copy.deepcopy(self._current["layout"])})

    # ------------------------------------------------------------------ writing
    def update(self, fig) -> None:
        """Draw ``fig`` instead: one message with the keys that changed (none when nothing did).

        A figure with another number of traces or other trace types is sent whole.
        """
        new = as_spec(fig)
        old = self._current
        same_shape = len(new["data"]) == len(old["data"]) and all(
            a.get("type", "scatter") == b.get("type", "scatter") for a, b in zip(new["data"], old["data"])
        )
        if not same_shape:
            self._current = new
            self.revision += 1
            self.send({"event": "full", "figure": new, "revision": self.revision})
            self.updates += 1
            return
        traces = {}
        for k, (a, b) in enumerate(zip(new["data"], old["data"])):
            changed = {key: a.get(key) for key in set(a) | set(b) if a.get(key) != b.get(key)}
            if changed:
                traces[str(k)] = changed
        layout = {key: new["layout"].get(key) for key in set(new["layout"]) | set(old["layout"])}
        layout = {k: v for k, v in layout.items() if v != old["layout"].get(k)}
        if not traces and not layout:
            return
        self._current = new
        self.revision += 1
        self.send({"event": "patch", "traces": traces, "layout": layout, "revision": self.revision})
        self.updates += 1

    def set_frames(self, frames: list[dict], status: list[str], *, frame: int | None = None) -> None:
        """The animation's frames (``{"data": [...], "traces": [...], "name"}``) and a status line per frame;
        shown at ``frame`` (default: the last, the whole run)."""
        if len(status) != len(frames):
            raise ValueError(f"status must hold one line per frame ({len(frames)}); got {len(status)}")
        with self.hold_sync():
            self.playing = False
            self.frames = plain(frames)
            self.frame_status = list(status)
            self.frame = len(frames) - 1 if frame is None else int(frame)

    def on_click(self, callback: Callable[[int, int, dict], None]) -> None:
        """``callback(trace_index, point_index, point)`` when a point is clicked (point: its x, y, z)."""
        if not callable(callback):
            raise ValueError(f"callback must be callable as callback(trace, point, data); got {callback!r}")
        self._click_callbacks.append(callback)

    def click(self, trace: int, point: int, data: dict | None = None) -> None:
        """What a click on point ``point`` of trace ``trace`` does (the page sends these)."""
        n = len(self._current["data"])
        if isinstance(trace, bool) or not isinstance(trace, int) or not 0 <= trace < n:
            raise ValueError(f"trace must be a trace index from 0 to {n - 1}; got {trace!r}")
        for callback in self._click_callbacks:
            callback(trace, point, data or {})

    def _on_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict):
            return
        if content.get("event") == "click":
            self.click(content.get("trace"), content.get("point"), content.get("data"))
        elif content.get("event") == "hello" and content.get("revision") != self.revision:
            # A view drawn from the first spec after patches were sent: it needs the figure as it is now.
            self.send({"event": "full", "figure": self._current, "revision": self.revision})
