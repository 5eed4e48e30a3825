"""The Playground's live network: TensorFlow Playground's picture in the page, brought up to date with bytes.

``PlaygroundDiagram`` shows a layout and a frame of ``explainer.views.playground_scene``: the layout (JSON,
sent when the architecture, the features, the theme or lecture mode change) and, per tick, the frame as
binary buffers (traitlets ``Bytes``): a uint8 grid per neuron and for the output map, three bytes per link,
one per bias and per node, float32 values for the tooltips, and a few texts. A 2-8-8-1 network sends about
14 KB a tick, not figure JSON.

What the page sends back: ``tick`` (it has drawn revision r and is playing: the app trains the next tick),
``select`` (a feature, a neuron, a +/− button, or in the backward walk a weight), ``edit`` (a weight or a
bias typed into the box a click opens), ``map`` (a click on the output map: add a point, or remove one with
Alt). ``picture()`` is the same layout and frame as one standalone SVG (``playground_svg``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from .._validate import one_of
from ..views.playground_scene import Frame, playground_svg

_HERE = Path(__file__).parent


class PlaygroundDiagram(anywidget.AnyWidget):
    """The network, its neurons' maps, its weights and the output map; ``show(layout, frame)`` redraws."""

    _esm = _HERE / "playground_diagram.js"
    _css = _HERE / "playground_diagram.css"
    scene = traitlets.Dict().tag(sync=True)  # the layout (views.playground_scene.playground_layout)
    feature_grids = traitlets.Bytes(b"").tag(sync=True)  # the seven features' maps: sent when the plane changes
    grids = traitlets.Bytes(b"").tag(sync=True)  # every neuron's map, then the output's: sent each tick
    styles = traitlets.Bytes(b"").tag(sync=True)
    values = traitlets.Bytes(b"").tag(sync=True)
    texts = traitlets.Dict().tag(sync=True)
    points = traitlets.Bytes(b"").tag(sync=True)
    point_info = traitlets.Bytes(b"").tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    window = traitlets.Int(3).tag(sync=True)  # ticks in flight while playing (see the script)
    explaining = traitlets.Bool(False).tag(sync=True)
    announce = traitlets.Unicode("").tag(sync=True)

    def __init__(self):
        super().__init__()
        self._layout: dict | None = None
        self._frame: Frame | None = None
        self._handlers: dict[str, list[Callable]] = {}
        self.updates = 0  # messages sent by show() (tests count one per tick)
        self.sent_bytes = 0  # the binary payload show() has sent (grids, styles, values, points)
        self.on_msg(self._on_message)

    def show(self, layout: dict, frame: Frame, values: np.ndarray) -> None:
        """Draw ``frame`` on ``layout`` (values: float32 (w, ∂L/∂w) per link then (b, ∂L/∂b) per bias): one
        message with what changed, none when nothing did."""
        features = np.ascontiguousarray(np.asarray(frame.features, dtype=np.uint8)).tobytes()
        grids = b"".join(
            np.ascontiguousarray(np.asarray(g, dtype=np.uint8)).tobytes() for g in (frame.grids, frame.map)
        )
        styles = b"".join(
            np.ascontiguousarray(a, dtype=np.uint8).tobytes() for a in (frame.links, frame.biases, frame.node_marks)
        )
        points = np.ascontiguousarray(frame.points, dtype=np.float32).tobytes()
        info = np.concatenate(
            [np.asarray(frame.point_index, np.uint8), np.asarray(frame.point_test, np.uint8)]
        ).tobytes()
        new = dict(
            scene=layout,
            feature_grids=features,
            grids=grids,
            styles=styles,
            values=np.ascontiguousarray(values, dtype=np.float32).tobytes(),
            texts=dict(frame.texts),
            points=points,
            point_info=info,
        )
        changed = {k: v for k, v in new.items() if getattr(self, k) != v}
        self._layout, self._frame = layout, frame
        if not changed:
            return
        with self.hold_sync():
            for k, v in changed.items():
                setattr(self, k, v)
            self.revision += 1
        self.updates += 1
        self.sent_bytes += sum(len(v) for k, v in changed.items() if isinstance(v, bytes))

    @property
    def frame(self) -> Frame | None:
        return self._frame

    def picture(self) -> str:
        """What the page draws now, as one standalone SVG."""
        return playground_svg(self._layout, self._frame)

    # ------------------------------------------------------------------ what the page sends
    def on(self, event: str, callback: Callable) -> None:
        """``callback(**content)`` for a page event: tick(revision), select(key), edit(key, value), map(x, y,
        shift, alt, radius)."""
        one_of(event, ("tick", "select", "edit", "map"), "event")
        if not callable(callback):
            raise ValueError(f"callback must be callable; got {callback!r}")
        self._handlers.setdefault(event, []).append(callback)

    def send_event(self, event: str, **content) -> None:
        """What the page's event does (tests and scripts use it as the page would)."""
        for callback in self._handlers.get(event, []):
            callback(**content)

    def _on_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("event"), str):
            return
        event = content["event"]
        allowed = {"tick": ("revision",), "select": ("key",), "edit": ("key", "value"),
                   "map": ("x", "y", "shift", "alt", "radius")}.get(event)  # fmt: skip
        if allowed is None:
            return
        self.send_event(event, **{k: content.get(k) for k in allowed})

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if self._layout is not None and self._frame is not None:
            data["image/svg+xml"] = self.picture()
        return bundle
