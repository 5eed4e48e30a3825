"""Number controls that show the state and never round it: sliders with exact readouts, grouped.

An ipywidgets slider owns its value: the browser snaps it to the slider's step when it draws it and sends
the snapped number back (−0.14112 became −0.14), and the kernel clamps a value beyond its range (a weight
trained to −3.064 became −3.06). Here the kernel owns every number. ``Sliders`` draws rows of
``<input type=range>`` with a readout that prints the app's own value (to 7 significant digits) and
accepts a typed number; the page sends a value only for a learner's own gesture (a drag, an arrow key, a
typed number), never for a value the app set. A value beyond a row's range is shown as beyond it
(the thumb at the end, the readout marked ▸), not moved into it.

Rows are plain dicts (see ``row``); ``set_rows`` sends them in one message when anything changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from pathlib import Path

import anywidget
import traitlets

_HERE = Path(__file__).parent
READOUT_DIGITS = 7


def readout(value: float, digits: int = READOUT_DIGITS) -> str:
    """The value as a row's readout prints it: up to ``digits`` significant digits, a real minus sign."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+∞" if value > 0 else "−∞")
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def row(
    key: str,
    label: str,
    value: float,
    lo: float,
    hi: float,
    step: float,
    *,
    group: str = "",
    log: bool = False,
    integer: bool = False,
    held: bool = False,
    selected: bool = False,
    disabled: bool = False,
    tooltip: str = "",
) -> dict:
    """One slider row. ``log``: the slider moves in log₁₀(value) (lo, hi, step are then exponents)."""
    value = float(value)
    shown = math.log10(value) if log and value > 0 else value
    beyond = "" if not math.isfinite(shown) else ("above" if shown > hi else "below" if shown < lo else "")
    return dict(
        key=key,
        label=label,
        value=value,
        position=float(min(max(shown, lo), hi)) if math.isfinite(shown) else float(lo),
        text=readout(value),
        min=float(lo),
        max=float(hi),
        step=float(step),
        group=group,
        log=bool(log),
        integer=bool(integer),
        held=bool(held),
        selected=bool(selected),
        disabled=bool(disabled),
        beyond=beyond,
        tooltip=tooltip,
    )


def widened(value: float, lo: float, hi: float) -> tuple[float, float]:
    """A symmetric range that holds ``value``: (lo, hi) itself, or ±ceil(2|value|) when it lies beyond."""
    if not math.isfinite(value) or lo <= value <= hi:
        return lo, hi
    bound = float(math.ceil(abs(value) * 2))
    return min(lo, -bound), max(hi, bound)


class Sliders(anywidget.AnyWidget):
    """Rows of number controls in groups; ``on_input(callback)``: ``callback(key, value)`` for a gesture."""

    _esm = _HERE / "sliders.js"
    _css = _HERE / "sliders.css"
    rows = traitlets.List().tag(sync=True)
    columns = traitlets.Unicode("repeat(auto-fill, minmax(300px, 1fr))").tag(sync=True)  # CSS grid of a group

    def __init__(self, rows: list[dict] | None = None, *, columns: str | None = None):
        super().__init__()
        if columns is not None:
            self.columns = columns
        self._callbacks: list[Callable[[str, float], None]] = []
        self.on_msg(self._on_message)
        self.set_rows(rows or [])

    def set_rows(self, rows: list[dict]) -> None:
        if rows != self.rows:
            self.rows = rows

    def value(self, key: str) -> float:
        return self._row(key)["value"]

    def on_input(self, callback: Callable[[str, float], None]) -> None:
        if not callable(callback):
            raise ValueError(f"callback must be callable as callback(key, value); got {callback!r}")
        self._callbacks.append(callback)

    def input(self, key: str, value) -> None:
        """What a learner's gesture on row ``key`` does (the page sends these): ``value`` goes to the app's
        callbacks, which check it (a typed text such as ``"0.1.2"`` is their ValueError, shown by the app)."""
        self._row(key)
        for callback in self._callbacks:
            callback(key, value)

    def _row(self, key: str) -> dict:
        for r in self.rows:
            if r["key"] == key:
                return r
        raise ValueError(f"key must be one of {', '.join(r['key'] for r in self.rows)}; got {key!r}")

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "input" and isinstance(content.get("key"), str):
            self.input(content["key"], content.get("value"))


def number(key: str, value) -> float:
    """A gesture's value as the finite number it must be: a float as it is, a typed text read as a number
    (a real minus sign allowed); ValueError naming the row otherwise."""
    if isinstance(value, str):
        try:
            value = float(value.replace("−", "-").replace(",", "").strip())
        except ValueError:
            raise ValueError(f"{key}: {value!r} is not a number; type a number such as 0.25 or −1e-3") from None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number; got {value!r}")
    return float(value)


class Row:
    """One row of a ``Sliders``, as ``app.controls[key]``: ``.value`` reads the app's value, and setting it
    is a learner's gesture (what the page sends), so tests and scripts drive an app as a learner would."""

    def __init__(self, sliders: Sliders, key: str):
        self._sliders, self.key = sliders, key

    @property
    def value(self) -> float:
        return self._sliders.value(self.key)

    @value.setter
    def value(self, value: float) -> None:
        self._sliders.input(self.key, value)

    @property
    def min(self) -> float:
        return self._sliders._row(self.key)["min"]

    @property
    def max(self) -> float:
        return self._sliders._row(self.key)["max"]

    @property
    def description(self) -> str:
        return self._sliders._row(self.key)["label"]

    @property
    def disabled(self) -> bool:
        return self._sliders._row(self.key)["disabled"]

    def __repr__(self) -> str:
        return f"Row({self.key!r}, value={self.value!r})"
