"""Apps made of text as still SVG pictures: what GitHub and nbviewer show of a Quiz or a checker's cell.

A picture is a column of blocks (a heading, a question, its options, a verdict in green or orange, code, a
table), each wrapped to the picture's width, drawn as a ``Scene`` like the diagrams. The apps give the text;
nothing here decides what is right.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .diagram import Part, Scene, attrs, line, rect, text_width
from .style import Theme, get_theme

KINDS = ("heading", "prompt", "body", "option", "muted", "ok", "wrong", "code")
MONO = "Menlo, Consolas, DejaVu Sans Mono, monospace"
CODE = f'font-family="{MONO}" xml:space="preserve" style="white-space:pre"'  # code keeps its spaces
MONO_EM = 0.61  # advance of a monospace character, in em (DejaVu Sans Mono, the widest of the three)
WIDTH = 820
PAD = 16
# The course's right and wrong colours (the apps' CSS uses the same), per theme.
INK = {
    "light": {"ok": "#0b5d1e", "wrong": "#7a1c00", "ok_bar": "#009e73", "wrong_bar": "#d55e00", "code": "#f6f8fa"},
    "dark": {"ok": "#7ee2a8", "wrong": "#ffb38a", "ok_bar": "#009e73", "wrong_bar": "#d55e00", "code": "#1c2128"},
}
MAX_BLOCKS = 2000
BOLD = 1.12  # bold letters run this much wider than text_width's regular ones


@dataclass(frozen=True)
class Block:
    """A paragraph of one kind (see KINDS); ``code`` keeps its lines and spaces, the others wrap at spaces."""

    text: str
    kind: str = "body"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header. ``kinds`` gives each row's verdict colour ("ok", "wrong" or "body"), in
    which the columns ``coloured`` are drawn; ``marked`` is the index of a row drawn with a frame (the first
    wrong one), or None. The last column wraps."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kinds: tuple[str, ...]
    coloured: tuple[int, ...] = ()
    marked: int | None = None


def wrap(content: str, size: float, width: float, *, mono: bool = False) -> list[str]:
    """``content`` broken into lines no wider than ``width`` px at font size ``size`` (at spaces; a word
    longer than a line is cut, so nothing runs off the picture). Newlines are kept."""
    measure = (lambda s: MONO_EM * size * len(s)) if mono else (lambda s: text_width(s, size))
    out = []
    for paragraph in content.split("\n"):
        if mono:
            n = max(8, int(width / (MONO_EM * size)))
            hang = " " * min(len(paragraph) - len(paragraph.lstrip(" ")) + 4, n // 2)  # a continued line's indent
            while len(paragraph) > n:
                cut = paragraph.rfind(" ", n // 2, n) + 1 or n  # after a space when one is near the end
                out.append(paragraph[:cut])
                paragraph = hang + paragraph[cut:]
            out.append(paragraph)
            continue
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if measure(candidate) <= width or not current:
                current = candidate
            else:
                out.append(current)
                current = word
            while measure(current) > width and len(current) > 1:
                cut = len(current)
                while cut > 1 and measure(current[:cut]) > width:
                    cut -= 1
                out.append(current[:cut])
                current = current[cut:]
        out.append(current)
    return out


def text_picture(
    blocks: Sequence[Block | Table], *, title: str, theme: str | Theme = "light", width: float = WIDTH
) -> Scene:
    """The blocks one under the other, ``width`` px wide (300 to 2000), as a ``Scene``."""
    if not isinstance(blocks, Sequence) or not all(isinstance(b, (Block, Table)) for b in blocks):
        raise ValueError("blocks must be a list of Block and Table")
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"blocks must hold at most {MAX_BLOCKS} blocks; got {len(blocks)}")
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 300 <= width <= 2000:
        raise ValueError(f"width must be a number of px from 300 to 2000; got {width!r}")
    th = get_theme(theme)
    ink = INK["dark" if th.name == "dark" else "light"]
    k = th.scale
    size = th.font_size * k
    y = PAD * k
    out = []
    for b in blocks:
        svg, y = (_table if isinstance(b, Table) else _block)(b, th, ink, PAD * k, y, width - 2 * PAD * k, size)
        out.append(svg)
    return Scene.in_theme(
        th,
        width=float(width),
        height=float(round(y + PAD * k)),
        title=title,
        parts=(Part("text", "".join(out)),),
        font_size=size,
    )


def _block(b: Block, th: Theme, ink: dict, x: float, y: float, width: float, size: float) -> tuple[str, float]:
    """One block's SVG from the top ``y``; returns it and the top of the next block."""
    k = th.scale
    kind = b.kind
    if kind == "heading":
        size = th.title_size * k
    elif kind == "muted":
        size *= 0.92
    indent = {"option": 22 * k, "ok": 14 * k, "wrong": 14 * k, "code": 10 * k}.get(kind, 0.0)
    mono = kind == "code"
    bold = kind in ("heading", "prompt")
    room = width - 2 * indent if mono else (width - indent) / (BOLD if bold else 1.0)
    lines = wrap(b.text, size, room, mono=mono)
    step = 1.35 * size
    fill = {"muted": th.muted, "ok": ink["ok"], "wrong": ink["wrong"]}.get(kind, th.text)
    weight = "bold" if bold else None
    before = {"heading": 0.0, "prompt": 0.7 * size, "ok": 0.35 * size, "wrong": 0.35 * size, "code": 0.4 * size}
    y += before.get(kind, 0.0)
    height = step * len(lines)
    out = []
    if kind in ("ok", "wrong"):
        out.append(rect(x, y, 5 * k, height + 0.4 * size, fill=ink[f"{kind}_bar"]))
    if mono:
        out.append(rect(x, y, width, height + 0.5 * size, fill=ink["code"], stroke=th.grid, width=1.0, rx=4 * k))
    rows = [(x + indent, y + 0.2 * size + (n + 0.5) * step, content) for n, content in enumerate(lines)]
    out.append(_texts(rows, size=size, fill=fill, weight=weight, code=mono))
    after = 0.5 * size if mono else 0.25 * size
    return "".join(out), y + height + after + 0.2 * size


def _texts(rows, *, size: float, fill: str, weight: str | None = None, code: bool = False) -> str:
    """Lines of text (x, y, content[, fill]) in one group that holds their common attributes (a picture of
    a few hundred lines stays small)."""
    a = attrs(font_size=float(size), fill=fill, text_anchor="start", dominant_baseline="central", font_weight=weight)
    body = "".join(
        f"<text {attrs(x=float(r[0]), y=float(r[1]), fill=r[3] if len(r) > 3 and r[3] != fill else None)}>"
        f"{html.escape(r[2], quote=False)}</text>"
        for r in rows
        if r[2]
    )
    return f"<g {a}{' ' + CODE if code else ''}>{body}</g>"


def _table(t: Table, th: Theme, ink: dict, x: float, y: float, width: float, size: float) -> tuple[str, float]:
    """Columns as wide as their widest cell; the last one takes the rest and wraps."""
    k = th.scale
    gap = 14 * k
    n = len(t.header)
    widths = [
        max(BOLD * text_width(t.header[c], size), *(text_width(row[c], size) for row in t.rows)) for c in range(n - 1)
    ]
    last = max(width - sum(widths) - gap * (n - 1), 80 * k)
    step = 1.35 * size
    out = []
    cx = [x]
    for w in widths:
        cx.append(cx[-1] + w + gap)
    y += 0.4 * size
    out.append(_texts([(cx[c], y + 0.5 * step, head) for c, head in enumerate(t.header)], size=size,
                      fill=th.text, weight="bold"))  # fmt: skip
    y += step
    out.append(line(x, y, x + width, y, stroke=th.muted, width=1.0, cap="butt"))
    cells = []
    for r, (row, kind) in enumerate(zip(t.rows, t.kinds)):
        note = wrap(row[-1], size, last)
        height = step * max(1, len(note))
        fill = {"ok": ink["ok"], "wrong": ink["wrong"]}.get(kind, th.text)
        if r == t.marked:
            out.append(rect(x - 4 * k, y + 1, width + 8 * k, height, fill="none", stroke=ink["wrong_bar"], width=2 * k))
        for c, cell in enumerate(row[:-1]):
            cells.append((cx[c], y + 0.5 * step, cell, fill if c in t.coloured else th.text))
        cells += [(cx[-1], y + (m + 0.5) * step, part) for m, part in enumerate(note)]
        y += height
    out.append(_texts(cells, size=size, fill=th.text))
    return "".join(out), y + 0.5 * size
