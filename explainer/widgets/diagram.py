"""The live SVG diagram: a view's ``Scene`` in the page, redrawn part by part, with tooltips and keyboard focus.

``Diagram(scene)`` shows a scene (``explainer.views.diagram.Scene``: the network, one neuron, an expression
graph); ``show(scene)`` replaces it in one message, and the page (``diagram.js``) swaps only the parts whose
SVG changed, by id, keeping the keyboard focus where it was. The same parts make the still picture, so a
notebook stored with this widget's output shows the diagram on GitHub too (``_repr_mimebundle_``).

What the page sends back: ``select`` (a click, Enter or Space on a target: ``on_select(callback)`` gets its
key, e.g. ``"W2[0,0]"``) and ``hover`` (the pointer or the focus is on a target: the widget answers with
that target's hover text from the scene, so the ~200 tooltips of a 7-layer network are not resent at
every change).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anywidget
import traitlets

from ..views.diagram import Scene

_HERE = Path(__file__).parent


class Diagram(anywidget.AnyWidget):
    """A scene drawn as SVG in the page; ``show(scene)`` redraws what changed.

    ``scene``: what is drawn now. ``announce``: the text a screen reader hears next (``aria-live``), set by
    the app after a selection (the chosen ∂L/∂w with its numbers).
    """

    _esm = _HERE / "diagram.js"
    _css = _HERE / "diagram.css"
    parts = traitlets.List().tag(sync=True)  # [[id, svg], ...] in drawing order
    width = traitlets.Float(100.0).tag(sync=True)
    height = traitlets.Float(100.0).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    background = traitlets.Unicode("#ffffff").tag(sync=True)
    ink = traitlets.Unicode("#1a1a1a").tag(sync=True)
    accent = traitlets.Unicode("#0072B2").tag(sync=True)
    announce = traitlets.Unicode("").tag(sync=True)

    def __init__(self, scene: Scene, *, accent: str = "#0072B2"):
        super().__init__()
        self._scene: Scene | None = None
        self._callbacks: list[Callable[[str], None]] = []
        self.updates = 0  # messages sent after the first drawing (tests count one per event)
        self.on_msg(self._on_message)
        self.show(scene, accent=accent)
        self.updates = 0

    @property
    def scene(self) -> Scene:
        return self._scene

    def show(self, scene: Scene, *, accent: str | None = None) -> None:
        """Draw ``scene`` instead of the current one: one message with what changed (nothing if nothing did)."""
        if not isinstance(scene, Scene):
            raise ValueError(f"scene must be an explainer.views.diagram.Scene; got {type(scene).__name__}")
        before = self._scene
        self._scene = scene
        values = dict(
            parts=[[p.id, p.svg] for p in scene.parts],
            width=float(scene.width),
            height=float(scene.height),
            title=scene.title,
            background=scene.background,
            ink=scene.text,
        )
        if accent is not None:
            values["accent"] = accent
        changed = {k: v for k, v in values.items() if getattr(self, k) != v}
        if not changed:
            return
        with self.hold_sync():
            for key, value in changed.items():
                setattr(self, key, value)
        if before is not None:
            self.updates += 1

    def on_select(self, callback: Callable[[str], None]) -> None:
        """``callback(key)`` when a target is clicked or chosen with Enter or Space."""
        if not callable(callback):
            raise ValueError(f"callback must be callable as callback(key); got {callback!r}")
        self._callbacks.append(callback)

    def select(self, key: str) -> None:
        """What a click on the target ``key`` does (the page sends these)."""
        if not isinstance(key, str) or key not in self._scene.keys():
            raise ValueError(f"key must be one of the diagram's targets (e.g. {self._scene.keys()[:3]}); got {key!r}")
        for callback in self._callbacks:
            callback(key)

    def hover_text(self, key: str) -> str:
        """The tooltip of target ``key`` (HTML), as the page shows it."""
        return self._scene.hovers.get(key, "")

    def _on_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict):
            return
        event, key = content.get("event"), content.get("key")
        if event == "select" and isinstance(key, str):
            self.select(key)
        elif event == "hover" and isinstance(key, str):
            self.send({"event": "hover", "key": key, "html": self.hover_text(key), "seq": content.get("seq")})

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if self._scene is not None:
            data["image/svg+xml"] = self._scene.svg()
        return bundle
