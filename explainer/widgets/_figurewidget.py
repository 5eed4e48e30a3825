"""A plotly FigureWidget whose front end initialises in milliseconds and loads plotly.js once per page.

plotly (6 and 7) makes ``go.FigureWidget`` an anywidget whose ESM is the whole plotly.js bundle, about
5 MB. anywidget 0.11 gives a model 2 s to import its ESM and run ``initialize``; after that it rejects
the model's ``ready`` promise and drops every later message from the kernel, so the figure never
changes again. Importing plotly.js takes 1 to 2.5 s in Chromium on a busy 2-core machine, and each
FigureWidget imported its own copy (an app with three figures: three imports at once).

``FigureWidget`` here behaves exactly like ``go.FigureWidget`` in Python. Its ESM is the small
``figurewidget.js``: plotly's bundle travels in a trait, is imported once per page, outside the 2 s
window, and the kernel's plotly messages that arrive meanwhile are queued and replayed in order.
Nothing is fetched from a server, so it works offline, in JupyterLab, Voilà and any anywidget host.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import plotly.graph_objects as go
import traitlets

_SHIM = (Path(__file__).with_name("figurewidget.js")).read_text(encoding="utf-8")


@functools.cache
def _plotly_bundle() -> tuple[str, str]:
    """Plotly's own widget ESM (the installed plotly's, whatever its version) and a short hash of it."""
    text = str(go.FigureWidget._esm)  # anywidget's FileContents of plotly/package_data/widgetbundle.js
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _plotly_messages() -> list[str]:
    """The traits through which plotly's kernel side sends messages (``_py2js_restyle`` and the like)."""
    return sorted(name for name in go.FigureWidget.class_trait_names() if name.startswith("_py2js_"))


class FigureWidget(go.FigureWidget):
    """``go.FigureWidget`` with plotly.js imported once per page and no 2 s initialisation limit."""

    _esm = _SHIM
    _plotly_bundle = traitlets.Unicode().tag(sync=True)
    _plotly_bundle_id = traitlets.Unicode().tag(sync=True)
    _plotly_messages = traitlets.List(traitlets.Unicode()).tag(sync=True)

    @traitlets.default("_plotly_bundle")
    def _default_plotly_bundle(self) -> str:
        return _plotly_bundle()[0]

    @traitlets.default("_plotly_bundle_id")
    def _default_plotly_bundle_id(self) -> str:
        return _plotly_bundle()[1]

    @traitlets.default("_plotly_messages")
    def _default_plotly_messages(self) -> list[str]:
        return _plotly_messages()
