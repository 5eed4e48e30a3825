"""The app model every app stands on: one state, one render path, one message area, nothing left open.

- **One source of truth.** An app keeps its numbers in one state object (a ``traitlets.HasTraits`` with
  ``@validate``d traits, plus the engine objects it owns). Controls are views of that state: a gesture on
  a control *asks* for a change (``_gesture``), the state takes it or refuses it, and every widget on
  screen is then redrawn from the state by the app's one ``_render``. No panel keeps numbers of its own,
  so none can go stale.
- **Coalesced rendering.** In a kernel a burst of slider messages ends in one render (``Coalescer``);
  readers (``record``, ``figure``…) call ``flush()`` first, so they never see a pending state.
- **Failures keep the last good state.** When a change or its render raises, the state goes back to what
  was last drawn (``_snapshot``/``_restore``), it is drawn again, and the message area at the top of the
  app says what went wrong and that nothing was lost. The next successful gesture clears it.
- **Theme "auto"** (the default) follows the page: a ``ThemeProbe`` reports JupyterLab's light or dark
  theme (or the browser's), and the app redraws in its colours when it changes.
- **close()** closes every widget the app made (``_own``), with their layout and style models; a closed
  app refuses to be used, with a message saying so.
"""

from __future__ import annotations

import asyncio
import html
import json
import traceback
from collections.abc import Callable
from pathlib import Path

import ipywidgets as W
import traitlets

from .._files import read_text_limited, write_text_atomic
from .._validate import one_of
from .theme import THEMES, ThemeProbe, resolve

MAX_STATE_BYTES = 64 * 2**20  # a saved state (a Playground's own data set included) is refused above this


class Coalescer:
    """Run ``work`` once for a burst of requests: the last state wins, stale work never queues up.

    In a running event loop (a kernel, Voilà) the work is scheduled with ``call_soon``, so a burst of
    slider messages handled back to back ends in one run. Without a loop (plain Python, pytest) it runs at
    once. ``flush()`` runs pending work now.
    """

    def __init__(self, work: Callable[[], None]):
        self._work = work
        self.pending = False
        self.runs = 0

    def request(self) -> None:
        if self.pending:
            return
        self.pending = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
        else:
            loop.call_soon(self.flush)

    def flush(self) -> None:
        if not self.pending:
            return
        self.pending = False
        self.runs += 1
        self._work()


def set_if_changed(widget: W.Widget, name: str, value) -> None:
    """Set a widget's property only when it differs (no message, no callback otherwise)."""
    current = getattr(widget, name)
    if name == "options":
        current = [tuple(o) if isinstance(o, (list, tuple)) else o for o in current]
        value = [tuple(o) if isinstance(o, (list, tuple)) else o for o in value]
    if current != value:
        setattr(widget, name, value)


def trait_values(state: traitlets.HasTraits) -> dict:
    """Every trait of an app's state object, for a snapshot."""
    return {k: getattr(state, k) for k in state.trait_names()}


def set_traits(state: traitlets.HasTraits, values: dict) -> None:
    """Put back a snapshot's traits, notifying once (after all are set)."""
    with state.hold_trait_notifications():
        for k, v in values.items():
            setattr(state, k, v)


def close_widget(widget: W.Widget) -> None:
    """Close a widget and its Layout and Style models (ipywidgets leaves those open)."""
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, W.Widget):
            part.close()
    widget.close()


def check_bool(value, argument: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{argument} must be True or False; got {value!r}")
    return value


def check_theme(value) -> str:
    return one_of(value, THEMES, "theme")


def describe_error(err: BaseException) -> str:
    """An exception as one line for the message area: a ValueError's own words, else its type and place."""
    if isinstance(err, ValueError):
        return str(err)
    where = traceback.format_exception(type(err), err, err.__traceback__, limit=-1)[-2:-1]
    place = where[0].strip().splitlines()[0] if where else ""
    return f"{type(err).__name__}: {err}" + (f" ({place})" if place else "")


class App:
    """Base class of the apps. Subclasses build their widgets with ``_own``, put them in ``self.root`` with
    ``_wrap``, and implement ``_snapshot``, ``_restore`` and ``_render``.

    Public names every app has: ``controls`` (name → control), ``message`` (the message area's widget),
    ``errors`` (every error shown, newest last), ``theme``, ``lecture``, ``set_lecture``, ``set_theme``,
    ``flush``, ``state``/``set_state``, ``save_state``/``load_state``, ``close``.
    """

    def __init__(self, *, lecture: bool = False, theme: str = "auto"):
        self.lecture = check_bool(lecture, "lecture")
        self.theme = check_theme(theme)
        self.controls: dict = {}
        self.errors: list[str] = []
        self._widgets: list[W.Widget] = []
        self._closed = False
        self._error = ""  # from the last gesture that failed; the next success clears it
        self._note = ""  # a plain line about the last gesture (a preset's arrival); the next gesture clears it
        self._warning = ""  # said by the state itself at each render (a diverged run)
        self._good = None  # the state last drawn
        self.root: W.Box | None = None
        self.message = self._own(W.HTML(layout=W.Layout(width="100%", display="none")))
        self.message.add_class("bpx-message")
        self.message.add_class("bpx-panel")
        self._probe = self._own(ThemeProbe())
        self._probe.observe(self._on_theme_detected, names="detected")
        self._coalescer = Coalescer(self._render_all)

    # ------------------------------------------------------------------ to implement
    def _snapshot(self):  # pragma: no cover - every app implements it
        """What ``_restore`` needs to bring the state back exactly (copies, not references)."""
        raise NotImplementedError

    def _restore(self, snapshot) -> None:  # pragma: no cover
        raise NotImplementedError

    def _render(self) -> None:  # pragma: no cover
        """Bring every widget up to date with the state (the one render path)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ building
    def _own(self, widget: W.Widget) -> W.Widget:
        """Register a widget this app made: ``close()`` closes it."""
        self._widgets.append(widget)
        return widget

    def _wrap(self, body: W.Widget) -> W.Box:
        root = self._own(W.VBox([self._probe, self.message, body], layout=W.Layout(width="100%")))
        root.add_class("bpx-app")
        if self.lecture:
            root.add_class("bpx-lecture")
        return root

    # ------------------------------------------------------------------ the one way a change happens
    @property
    def drawing_theme(self) -> str:
        """The theme the figures are drawn in: ``theme``, or for "auto" the page's (light until it says)."""
        return resolve(self.theme, self._probe.detected)

    def _button(self, description: str, tooltip: str, style: str = "") -> W.Button:
        """A button this app owns, as wide as its text."""
        b = self._own(W.Button(description=description, tooltip=tooltip, button_style=style))
        b.layout.width = "auto"
        return b

    def _look_controls(self) -> None:
        """``controls["theme"]`` and ``controls["lecture"]``, the menu and the toggle every app has, wired."""
        c = self.controls
        c["lecture"] = self._own(
            W.ToggleButton(description="lecture mode", icon="expand", layout=W.Layout(width="auto"))
        )
        c["theme"] = self._own(
            W.Dropdown(
                options=[("theme: follow JupyterLab", "auto"), ("theme: light", "light"), ("theme: dark", "dark")],
                layout=W.Layout(width="auto"),
            )
        )
        c["lecture"].observe(lambda ch: self._on_menu(lambda: self.set_lecture(ch["new"])), "value")
        c["theme"].observe(lambda ch: self._on_menu(lambda: self.set_theme(ch["new"])), "value")

    _drawing = False  # True while _render sets the controls: their callbacks are the app's, not the learner's

    def _on_menu(self, change: Callable[[], None]) -> None:
        """A menu, box or toggle the learner changed (not one the app set while drawing): a gesture."""
        if not self._drawing:
            self._gesture(change)

    def _gesture(self, change: Callable[[], None]) -> bool:
        """Apply ``change`` (a learner's gesture) to the state and redraw; on failure keep the last good state.

        Returns True when the change was taken. No exception is lost: it is shown in the message area.
        """
        if self._closed:
            return False
        self._error, self._note = "", ""
        self._gesturing = True
        try:
            change()
        except Exception as err:  # every failure must reach the learner, and nothing is lost
            self._fail(err)
            return False
        finally:
            self._gesturing = False
        self._coalescer.request()
        return True

    _gesturing = False

    def _request(self) -> None:
        """The state changed. Within a gesture: redraw, coalesced. Called from a script: redraw now, and if that
        fails the last good state comes back and the exception reaches the caller."""
        self._check_open()
        self._error = ""
        if self._gesturing:
            self._coalescer.request()
            return
        self._coalescer.pending = False
        failure = self._render_all()
        if failure is not None:
            raise failure

    def flush(self) -> None:
        """Apply pending (coalesced) updates now."""
        self._coalescer.flush()

    def _render_all(self) -> BaseException | None:
        """The one render path, guarded: returns the exception it met (after restoring the last good state)."""
        try:
            self._render()
        except Exception as err:
            self._fail(err)
            return err
        self._good = self._snapshot()
        self._show_message()
        return None

    def _fail(self, err: BaseException) -> None:
        detail = describe_error(err)
        if self._good is not None:
            try:
                self._restore(self._good)
                self._render()
            except Exception as second:  # pragma: no cover - a bug in restoring itself
                detail += f"; restoring the last good state also failed: {describe_error(second)}"
        self._error = detail + " — the last good state is kept."
        self.errors.append(self._error)
        self._show_message()

    def _show_message(self) -> None:
        """The message area: an error first, else what the state says (a warning), else a note."""
        if self._error:
            kind, text = "error", self._error
        elif self._warning:
            kind, text = "warning", self._warning
        elif self._note:
            kind, text = "note", self._note
        else:
            self.message.value = ""
            self.message.layout.display = "none"
            return
        self.message.layout.display = None
        self.message.value = f'<div class="bpx-msg bpx-msg-{kind}" role="status">{html.escape(text)}</div>'

    def show_message(self, text: str, error: bool = False) -> None:
        """Put a line in the message area (an error in red, else a note)."""
        if error:
            self._error = text
            self.errors.append(text)
        else:
            self._note = text
        self._show_message()

    # ------------------------------------------------------------------ look
    def set_lecture(self, on: bool) -> None:
        """Large fonts, nodes and labels for a lecture hall (the figures' ``lecture`` scale too)."""
        self._check_open()
        self.lecture = check_bool(on, "on")
        if on:
            self.root.add_class("bpx-lecture")
        else:
            self.root.remove_class("bpx-lecture")
        self._request()

    def set_theme(self, theme: str) -> None:
        """ "auto" (follow the page), "light" or "dark"."""
        self._check_open()
        self.theme = check_theme(theme)
        self._request()

    def _on_theme_detected(self, _change) -> None:
        if self.theme == "auto" and not self._closed:
            self._coalescer.request()

    # ------------------------------------------------------------------ display and closing
    def _ipython_display_(self):  # pragma: no cover - exercised in the browser tests
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)

    def picture(self) -> str | None:
        """A still picture of the app (SVG), stored beside the live widget so GitHub and nbviewer show it."""
        return None

    def _repr_mimebundle_(self, **kwargs):
        if self._closed:
            return {"text/plain": f"{type(self).__name__} (closed: make a new one to use it again)"}
        self.flush()
        bundle = self.root._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        svg = self.picture()
        if svg:
            data["image/svg+xml"] = svg
        return data

    def _check_state(self, state) -> None:
        """The door of ``set_state``: the app is open and ``state`` is a dict, as ``state()`` gives."""
        self._check_open()
        if not isinstance(state, dict):
            raise ValueError(f"state must be a dict from state(); got {type(state).__name__}")

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"this {type(self).__name__} was closed: make a new one to use it again")

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every widget the app made (figures and controls included); the app can no longer be used."""
        if self._closed:
            return
        self._closed = True
        for widget in reversed(self._widgets):
            close_widget(widget)
        self._widgets.clear()

    # ------------------------------------------------------------------ state files
    def state(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_state(self, state: dict) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def save_state(self, path: str | Path) -> None:
        """Write the app's state to a small JSON file an instructor can share (atomic: all or nothing)."""
        self._check_open()
        self.flush()
        write_text_atomic(path, json.dumps({"app": type(self).__name__, **self.state()}, indent=1))

    def load_state(self, path: str | Path) -> None:
        """Read a file written by ``save_state`` (ValueError if it is not one of this app's; nothing is
        applied unless all of it is valid)."""
        self._check_open()
        text = read_text_limited(path, MAX_STATE_BYTES, what="state file")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"path {str(path)!r} is not a readable state file: {err}") from None
        if not isinstance(data, dict) or data.get("app") != type(self).__name__:
            raise ValueError(f"path {str(path)!r} does not hold a {type(self).__name__} state")
        self.set_state(data)
