"""Which theme the page shows, reported by the page itself: JupyterLab's light or dark, or the browser's.

Every app holds one ``ThemeProbe``. Its script reads JupyterLab's ``body[data-jp-theme-light]`` (and, where
there is no JupyterLab, as under Voilà without a theme, the browser's ``prefers-color-scheme``), reports
``"light"`` or ``"dark"`` in ``detected``, and reports again whenever either changes, so that an app with
``theme="auto"`` redraws its figures and diagrams in the page's colours. It also carries the apps' shared
style sheet (``app.css``: layout, messages, lecture sizes), which anywidget puts into the page once.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

_HERE = Path(__file__).parent
THEMES = ("auto", "light", "dark")


class ThemeProbe(anywidget.AnyWidget):
    """An invisible widget whose ``detected`` is the page's theme ("" until the page has said)."""

    _esm = _HERE / "theme.js"
    _css = _HERE / "app.css"
    detected = traitlets.Unicode("").tag(sync=True)


def resolve(theme: str, detected: str) -> str:
    """The theme to draw with: ``theme`` itself, or for "auto" what the page reported (light until it has)."""
    if theme != "auto":
        return theme
    return detected if detected in ("light", "dark") else "light"
