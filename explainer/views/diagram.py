"""Diagrams as SVG: a scene of named parts, drawn the same way as a still picture and in the live widget.

A ``Scene`` is plain data: its natural size in pixels, its colours and an ordered tuple of ``Part``s, each a
stable id and the SVG of that part. ``scene.svg()`` is a standalone picture (what GitHub, nbviewer, exports
and nbval show); the live widget (``explainer.widgets.diagram``) puts the same parts into the page and, on
each change, replaces only the parts whose SVG changed, by id. So the still and the live diagram cannot
differ: they are the same strings.

Interactive parts carry their meaning as attributes, not as code: ``data-key`` (what a click or Enter
selects, e.g. ``W2[0,0]``), ``tabindex="0"``, ``role="button"`` and ``aria-label``. The hover texts (HTML
made by the views) are kept beside the parts, in ``Scene.hovers`` by key: the widget fetches the one the
pointer or the keyboard is on, so a 7-layer network's ~200 tooltips are not resent at every change. The
widget's script turns all this into a tooltip, a click and keyboard focus; a picture ignores it.

The drawing helpers here (``text``, ``line``, ``circle``…) escape what they are given and format numbers
with two decimals, so that a part's SVG is a pure function of its inputs (equal inputs, equal strings:
nothing is resent).
"""

from __future__ import annotations

import base64
import html
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

SVG_NS = "http://www.w3.org/2000/svg"

# Advance widths in em (Arial/Helvetica, Liberation Sans) of the characters labels use; others count 0.6 em.
_EM = {
    **dict.fromkeys("0123456789abdeghnopqu", 0.556),
    **dict.fromkeys("cksvxyz∂δ", 0.5),
    **dict.fromkeys("ijl", 0.222),
    **dict.fromkeys("ft./ ,:·'", 0.278),
    **dict.fromkeys("r()[]", 0.333),
    **dict.fromkeys("+−=×<>", 0.584),
    **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", 0.4),
    **dict.fromkeys("ABEKPSVXY", 0.667),
    **dict.fromkeys("CDHNRUw", 0.722),
    **dict.fromkeys("FTZ", 0.611),
    **dict.fromkeys("GOQ", 0.778),
    "m": 0.833,
    "M": 0.833,
    "W": 0.944,
    "L": 0.556,
    "J": 0.5,
    "I": 0.278,
    "σ": 0.6,
    "η": 0.556,
    "→": 1.0,
    "…": 1.0,
    "Σ": 0.6,
}


# Labels are laid out for the widest common sans-serif, DejaVu Sans (what Linux, and CI, draw with), which
# runs about 15 % wider than Arial: a label that fits under DejaVu fits under Arial and Helvetica too.
WIDE_FONT = 1.17


def text_width(text: str, size: float) -> float:
    """The estimated width in px of one line of ``text`` at font size ``size`` (DejaVu Sans, at most)."""
    return WIDE_FONT * size * sum(_EM.get(ch, 0.6) for ch in text)


def _n(value: float) -> str:
    """A coordinate: two decimals, no trailing zeros (so equal geometry gives equal strings)."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def attrs(**values) -> str:
    """``key="value"`` pairs, escaped; underscores become dashes (``stroke_width`` → ``stroke-width``);
    None and False leave the attribute out; floats are written with ``_n``."""
    out = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = _n(value)
        out.append(f'{name}="{html.escape(str(value), quote=True)}"')
    return " ".join(out)


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: float,
    fill: str,
    anchor: str = "middle",
    weight: str | None = None,
    halo: str | None = None,
    rotate: float = 0.0,
    baseline: str = "central",
    css: str | None = None,
) -> str:
    """One line of text; ``halo``: a stroke of the background's colour behind the letters, so a label
    stays readable where it crosses a line (SVG's paint-order draws the stroke first)."""
    transform = f"rotate({_n(rotate)} {_n(x)} {_n(y)})" if abs(rotate) > 0.005 else None
    a = attrs(
        x=float(x),
        y=float(y),
        font_size=float(size),
        fill=fill,
        text_anchor=anchor,
        dominant_baseline=baseline,
        font_weight=weight,
        stroke=halo,
        stroke_width=float(max(2.0, size * 0.28)) if halo else None,
        stroke_linejoin="round" if halo else None,
        style="paint-order:stroke" if halo else None,
        transform=transform,
        class_=css,
    )
    return f"<text {a}>{html.escape(content, quote=False)}</text>"


def lines_of_text(
    x: float, y: float, lines: Iterable[str], *, size: float, fill: str, anchor: str = "middle", spacing: float = 1.3
) -> str:
    """Several lines, the first centred on ``y``, each ``spacing`` font sizes below the one before."""
    return "".join(
        text(x, y + k * spacing * size, line, size=size, fill=fill, anchor=anchor) for k, line in enumerate(lines)
    )


def line(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    *,
    stroke: str,
    width: float,
    dash: str | None = None,
    opacity: float | None = None,
    cap: str = "round",
    css: str | None = None,
) -> str:
    a = attrs(
        x1=float(x0),
        y1=float(y0),
        x2=float(x1),
        y2=float(y1),
        stroke=stroke,
        stroke_width=float(width),
        stroke_dasharray=dash,
        stroke_opacity=opacity,
        stroke_linecap=cap,
        class_=css,
    )
    return f"<line {a}/>"


def circle(
    x: float, y: float, r: float, *, fill: str, stroke: str | None = None, width: float = 1.0, css: str | None = None
) -> str:
    a = attrs(
        cx=float(x),
        cy=float(y),
        r=float(r),
        fill=fill,
        stroke=stroke,
        stroke_width=float(width) if stroke else None,
        class_=css,
    )
    return f"<circle {a}/>"


def rect(
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    fill: str,
    stroke: str | None = None,
    width: float = 1.0,
    rx: float = 0.0,
    css: str | None = None,
) -> str:
    a = attrs(
        x=float(x),
        y=float(y),
        width=float(w),
        height=float(h),
        rx=float(rx) if rx else None,
        fill=fill,
        stroke=stroke,
        stroke_width=float(width) if stroke else None,
        class_=css,
    )
    return f"<rect {a}/>"


def path(d: str, *, stroke: str, width: float, fill: str = "none", dash: str | None = None) -> str:
    return f"<path {attrs(d=d, stroke=stroke, stroke_width=float(width), fill=fill, stroke_dasharray=dash)}/>"


def polyline(points: Iterable[tuple[float, float]], *, stroke: str, width: float) -> str:
    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return f"<polyline {attrs(points=pts, fill='none', stroke=stroke, stroke_width=float(width))}/>"


def target(shape: str, *, key: str, label: str, pressed: bool | None = None, css: str = "bpx-target") -> str:
    """An invisible, focusable hit area: ``shape`` is its SVG element without the closing ``/>``.

    ``key`` is what a click or Enter selects and what the scene's ``hovers`` holds the tooltip under;
    ``label`` is the accessible name.
    """
    extra = attrs(
        fill="transparent",
        stroke="transparent",
        pointer_events="all",
        class_=css,
        tabindex="0",
        role="button",
        aria_label=plain_text(label),
        aria_pressed=("true" if pressed else "false") if pressed is not None else None,
        data_key=key,
    )
    return f"{shape} {extra}/>"


def png_uri(rgb) -> str:
    """An RGB uint8 image (H, W, 3), top row first, as a PNG data URI for an SVG ``<image>``: filter 0, zlib
    level 9, so equal pixels give equal strings (only zlib and struct needed)."""
    h, w = rgb.shape[:2]
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(h))  # filter type 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def group(content: str, **values) -> str:
    return f"<g {attrs(**values)}>{content}</g>" if values else f"<g>{content}</g>"


@dataclass(frozen=True)
class Part:
    """One independently redrawn piece of a diagram: a stable ``id`` and its SVG (usually one ``<g>``)."""

    id: str
    svg: str


@dataclass(frozen=True)
class Scene:
    """A diagram: its natural size (px), colours, accessible title, and its parts in drawing order.

    The live widget scales it to its container through the ``viewBox`` (never wider than ``width``), so every
    allowed architecture fits the output area.
    """

    width: float
    height: float
    title: str
    parts: tuple[Part, ...]
    background: str
    text: str
    font_family: str
    font_size: float
    theme: str = "light"
    hovers: dict = field(default_factory=dict, compare=False)  # key → hover text (HTML)

    @classmethod
    def in_theme(
        cls, theme, *, width: float, height: float, title: str, parts, font_size: float, hovers: dict | None = None
    ) -> Scene:
        """A scene in ``theme``'s colours and font (a ``views.style.Theme``: its paper, text, font_family, name)."""
        return cls(
            width=width,
            height=height,
            title=title,
            parts=tuple(parts),
            background=theme.paper,
            text=theme.text,
            font_family=theme.font_family,
            font_size=font_size,
            theme=theme.name,
            hovers={} if hovers is None else hovers,
        )

    def part(self, id: str) -> Part:
        for p in self.parts:
            if p.id == id:
                return p
        raise KeyError(id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parts)

    def svg(self, *, standalone: bool = True) -> str:
        """The whole diagram as one SVG document (``standalone``: with the XML namespace, for a file or a
        notebook's ``image/svg+xml`` output)."""
        body = "".join(f'<g id="{html.escape(p.id, quote=True)}">{p.svg}</g>' for p in self.parts)
        head = attrs(
            xmlns=SVG_NS if standalone else None,
            viewBox=f"0 0 {_n(self.width)} {_n(self.height)}",
            width=float(self.width),
            height=float(self.height),
            role="img",
            font_family=self.font_family,
            font_size=float(self.font_size),
        )
        back = rect(0, 0, self.width, self.height, fill=self.background)
        return f"<svg {head}><title>{html.escape(self.title, quote=False)}</title>{back}{body}</svg>"

    def _repr_svg_(self) -> str:
        return self.svg()

    def texts(self) -> list[str]:
        """Every text drawn, in order (for tests and for a look without a browser)."""
        return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", "".join(p.svg for p in self.parts))]

    def keys(self) -> list[str]:
        """The ``data-key`` of every focusable target, in Tab order."""
        return [html.unescape(k) for k in re.findall(r'data-key="([^"]*)"', "".join(p.svg for p in self.parts))]

    def hover(self, key: str) -> str:
        """The hover text of the target ``key`` (as the tooltip shows it, HTML)."""
        return self.hovers[key]


def plain_text(markup: str) -> str:
    """A hover text's HTML as plain lines (``<br>`` → newline, tags dropped), for aria labels and tests."""
    text_ = re.sub(r"<br\s*/?>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", text_))


def wrap(text_: str, size: float, max_width: float) -> list[str]:
    """Plain ``text_`` broken into lines no wider than ``max_width`` px at font size ``size`` (at spaces;
    its newlines break lines too)."""
    out = []
    for paragraph in text_.split("\n"):
        words = paragraph.split(" ")
        current = ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and text_width(trial, size) > max_width:
                out.append(current)
                current = word.lstrip()
            else:
                current = trial
        out.append(current)
    return out
