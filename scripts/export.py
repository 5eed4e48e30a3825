"""Export the notebooks as HTML pages and reveal.js decks that play with no kernel and no network: ``make export``.

For each notebook, a fresh kernel runs it (``PLOTLY_RENDERER=plotly_mimetype+notebook``: every figure
carries text/html, and the first output carries the whole plotly.js, once per notebook; the live apps show
their static figures instead, see ``export_static.py``). Then

    OUT/NAME.html          the notebook as one page
    OUT/NAME.slides.html   a reveal.js deck: the cells' ``slideshow.slide_type`` (the metadata
                           jupyterlab-slideshow reads); a notebook without any gets a slide per heading
    OUT/vendor/            plotly.js (the kernel's own copy, taken out of its output: one file for all pages),
                           reveal.js 4 and MathJax 3 (pinned in scripts/package-lock.json, installed once with
                           ``npm ci`` into artifacts/cache/npm and copied here)

Every page loads plotly.js, reveal.js and MathJax from vendor/ by relative paths, so OUT/ can be copied
anywhere (a USB stick) and opened from file://. Every file written is checked afterwards: no script, style
sheet, image or font may come from http(s); the run fails naming the URL if one does. Plain links in the prose
are allowed.

Usage: python scripts/export.py [NOTEBOOK ...] [--out DIR] [--jobs N] [--no-slides] [--timeout S]
(no NOTEBOOK: every notebooks/*.ipynb).
"""

from __future__ import annotations

import argparse
import copy
import html.parser
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# plotly's renderers import nbformat, whose jsonschema then compiles rfc3987-syntax's grammar at import time: about
# 5 s of CPU (20 s on a busy machine) per process, for an IRI format check nothing here uses. Without the module,
# jsonschema leaves that one check out. Only in this script's process and its kernels (see SETUP_SOURCE).
if __name__ == "__main__":
    sys.modules.setdefault("rfc3987_syntax", None)

import nbformat

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
import export_static  # noqa: E402  (a sibling script: the stand-ins' note marks an app's cell)

TEMPLATES = SCRIPTS / "export_templates"
DEFAULT_OUT = ROOT / "artifacts" / "export"
NPM_CACHE = ROOT / "artifacts" / "cache" / "npm"

# What the kernel's plotly uses: text/html with plotly.js embedded once (the "notebook" renderer; never
# "notebook_connected", which imports plotly.js from a CDN), next to Plotly's own mimetype, which JupyterLab
# renders and nbconvert's HTML leaves aside (it prefers text/html).
PLOTLY_RENDERER = "plotly_mimetype+notebook"
SETUP_TAG = "bpx-export-setup"
APP_TAG = "bpx-app-cell"  # a cell that shows an app's stand-in: its code is folded in a deck (bpx_reveal)
SETUP_SOURCE = f"""\
import sys
sys.modules.setdefault("rfc3987_syntax", None)  # 5 s of grammar compilation saved: see the top of export.py
sys.path.insert(0, {str(SCRIPTS)!r})
import export_static
export_static.install()
del sys.path[0]
"""

# Files copied from node_modules into OUT/vendor: what the templates load, and the licences.
VENDOR_FILES = (
    "reveal.js/LICENSE",
    "reveal.js/dist/reveal.js",
    "reveal.js/dist/reveal.css",
    "reveal.js/dist/reset.css",
    "reveal.js/dist/theme",  # a folder: themes and their local fonts
    "reveal.js/plugin/notes/notes.js",
    "mathjax/LICENSE",
    "mathjax/es5/tex-svg-full.js",
)
REVEAL_PREFIX = "vendor/reveal.js"
MATHJAX_URL = "vendor/mathjax/es5/tex-svg-full.js"
PLOTLY_DIR = "vendor/plotly.js"  # plotly-<version>.min.js, written from the kernel's output (vendor_plotlyjs)
_VENDOR_LOCK = threading.Lock()  # notebooks export in threads; one of them writes the shared file

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    '<p class="bpx-export-note">An interactive widget was here: it needs a running kernel '
    "(open the notebook in JupyterLab or Voilà).</p>"
)
# plotly.py adds MathJax from a CDN to every figure's HTML; the pages load their own local copy instead.
_CDN_MATHJAX = re.compile(r'<script src="https?://[^"]*mathjax[^"]*"></script>', re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
PLOTLYJS_BANNER = re.compile(r"plotly\.js v(\d+\.\d+\.\d+)")
_PLOTLYJS_SRC = re.compile(r'<script src="(vendor/plotly\.js/plotly-[^"]+\.min\.js)"')


@dataclass
class Options:
    out: Path = DEFAULT_OUT
    slides: bool = True
    timeout: int = 300  # seconds per cell
    theme: str = "white"  # reveal.js theme (one without web fonts from a CDN)
    width: int = 1280  # reveal.js canvas, scaled to the screen
    height: int = 800


@dataclass
class Result:
    notebook: Path
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


# --------------------------------------------------------------------------------------------- assets
def ensure_assets(out: Path, cache: Path | None = None) -> Path:
    """reveal.js and MathJax into ``out/vendor`` (``npm ci`` into ``cache``, by default NPM_CACHE, first when the
    lock file changed)."""
    cache = NPM_CACHE if cache is None else cache
    lock = (SCRIPTS / "package-lock.json").read_text()
    installed, cached_lock = cache / "node_modules" / ".package-lock.json", cache / "package-lock.json"
    if not installed.exists() or not cached_lock.exists() or cached_lock.read_text() != lock:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                "make export needs npm (Node.js) once, to fetch reveal.js and MathJax from the npm registry "
                f"(pinned in {SCRIPTS / 'package-lock.json'}): install Node.js and run it again."
            )
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SCRIPTS / "package.json", cache / "package.json")
        shutil.copy2(SCRIPTS / "package-lock.json", cache / "package-lock.json")
        print(f"export: npm ci (reveal.js, MathJax) into {cache}", flush=True)
        fetched = subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=cache,
            capture_output=True,
            text=True,
        )
        if fetched.returncode != 0:
            cached_lock.unlink(missing_ok=True)  # the next run tries again
            said = "\n".join(f"    {line}" for line in (fetched.stderr or fetched.stdout).strip().splitlines()[-8:])
            raise SystemExit(
                "export: could not fetch reveal.js and MathJax, which the exported decks need next to them.\n"
                f"`npm ci` in {cache} exited with {fetched.returncode}; npm said:\n{said}\n"
                "The first `make export` downloads them once from the npm registry (pinned in "
                "scripts/package-lock.json); later runs reuse artifacts/cache/npm and need no network. "
                "Check the network, or npm's registry (`npm config get registry`), and run `make export` again."
            )
    vendor = out / "vendor"
    for rel in VENDOR_FILES:
        src, dst = cache / "node_modules" / rel, vendor / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    return vendor


# --------------------------------------------------------------------------------------------- running
def execute(path: Path, timeout: int) -> nbformat.NotebookNode:
    """The notebook run top to bottom in a fresh kernel, with the apps' static stand-ins installed."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    setup = nbformat.v4.new_code_cell(SETUP_SOURCE, metadata={"tags": [SETUP_TAG]})
    nb.cells.insert(0, setup)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # the kernel starts in the notebook's folder
        store_widget_state=False,  # the page loads no widget manager: it would come from a CDN
        shutdown_kernel="immediate",  # nothing to save in it; a graceful shutdown waits seconds for nothing
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not one "running over TCP" warning per notebook
    )
    client.execute(env={**os.environ, "PLOTLY_RENDERER": PLOTLY_RENDERER})
    nb.cells = [c for c in nb.cells if SETUP_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:  # number the cells as if the setup cell had never run: In [1] is the notebook's first
        for item in (cell, *cell.get("outputs", [])):
            if item.get("execution_count"):
                item["execution_count"] -= 1
    return nb


def take_plotlyjs(nb: nbformat.NotebookNode) -> str:
    """Remove plotly's one-off activation output (plotly.js itself) from the cells and return its HTML.

    The library goes to vendor/ (``vendor_plotlyjs``); the pages load it in their <head>: every figure then
    finds Plotly, whichever slide comes first and even when the cell that activated the renderer is skipped.
    """
    found = ""
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html", "")
            if "window.PlotlyConfig" in text and PLOTLYJS_BANNER.search(text) and "Plotly.newPlot" not in text:
                found = found or text
                continue
            kept.append(output)
        if "outputs" in cell:
            cell.outputs = kept
    return found


def vendor_plotlyjs(activation: str, out: Path) -> str:
    """Write the plotly.js of an activation output to ``out/vendor/plotly.js/`` once; return the <head> HTML
    that loads it by relative path (the activation's small config script, then ``<script src=…>``).

    One file per plotly.js version, shared by every page: the pages stay small (plotly.js is ~4.7 MB).
    """
    if not activation:
        return ""
    banner = PLOTLYJS_BANNER.search(activation)
    start = activation.rindex("<script", 0, banner.start())
    body = activation.index(">", start) + 1
    end = activation.index("</script>", banner.end())
    rel = f"{PLOTLY_DIR}/plotly-{banner[1]}.min.js"
    target = out / rel
    library = activation[body:end]
    with _VENDOR_LOCK:
        if not target.exists() or target.read_text(encoding="utf-8") != library:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(library, encoding="utf-8")
    tail = activation[end + len("</script>") :]
    return f'{activation[:start]}<script src="{rel}"></script>{tail}'


def prepare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Outputs fit for a page without kernel or network: CDN MathJax tags gone, leftover widgets noted."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if "text/html" in data:
                data["text/html"] = _CDN_MATHJAX.sub("", data["text/html"])
            if WIDGET_VIEW in data:  # a widget that is not an explainer app: nothing to show without a kernel
                output["data"] = {"text/html": WIDGET_NOTE}
            if export_static.NOTE_CLASS in data.get("text/html", ""):  # an app's stand-in: its code folds in a deck
                tags = cell.metadata.setdefault("tags", [])
                if APP_TAG not in tags:
                    tags.append(APP_TAG)
    return nb


def auto_slides(nb: nbformat.NotebookNode) -> bool:
    """Give a notebook without slide metadata a slide per Markdown heading; True if it did."""
    if any("slide_type" in c.metadata.get("slideshow", {}) for c in nb.cells):
        return False
    for i, cell in enumerate(nb.cells):
        starts = i == 0 or (cell.cell_type == "markdown" and _HEADING.match(cell.source or ""))
        cell.metadata.setdefault("slideshow", nbformat.NotebookNode())["slide_type"] = "slide" if starts else "-"
    return True


def convert(nb: nbformat.NotebookNode, name: str, plotlyjs: str, opts: Options) -> list[Path]:
    """Write OUT/NAME.html (and OUT/NAME.slides.html); return the paths."""
    from nbconvert import HTMLExporter, SlidesExporter

    resources = {"metadata": {"name": name}, "bpx": {"mathjax_url": MATHJAX_URL, "plotlyjs": plotlyjs}}
    common = dict(extra_template_basedirs=[str(TEMPLATES)], extra_template_paths=[str(TEMPLATES)])
    written = []
    body, _ = HTMLExporter(template_name="bpx_lab", **common).from_notebook_node(nb, copy.deepcopy(resources))
    written.append(_write(opts.out / f"{name}.html", body))
    if opts.slides:
        deck = copy.deepcopy(nb)
        auto_slides(deck)
        slides = SlidesExporter(
            template_name="bpx_reveal",
            reveal_url_prefix=REVEAL_PREFIX,
            reveal_theme=opts.theme,
            theme="dark" if opts.theme == "black" else "light",  # the notebook cells' colours to match
            reveal_width=str(opts.width),
            reveal_height=str(opts.height),
            reveal_number="c/t",
            **common,
        )
        body, _ = slides.from_notebook_node(deck, copy.deepcopy(resources))
        written.append(_write(opts.out / f"{name}.slides.html", body))
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------- checking
_RESOURCE_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "image": ("href", "xlink:href"),  # SVG
    "use": ("href", "xlink:href"),
}
_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
_CSS_REMOTE = re.compile(r"""(@import\s+|url\(\s*)["']?((https?:)?//[^"')\s]+)""", re.IGNORECASE)
_JS_IMPORT_REMOTE = re.compile(r"""\bimport\s*(?:\(\s*)?["']((https?:)?//[^"']+)""")


class _ResourceScanner(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []
        self._in: str | None = None  # "style" or "module" while inside such an element

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in _RESOURCE_ATTRS.get(tag, ()):
            value = attrs.get(name) or ""
            if any(_REMOTE.match(part) for part in value.split(",")):
                self.remote.append(f"<{tag} {name}={value!r}>")
        if attrs.get("style"):
            self.remote += [f"style attribute: {m[1]}" for m in _CSS_REMOTE.findall(attrs["style"])]
        if tag == "style":
            self._in = "style"
        elif tag == "script" and attrs.get("type") == "module":
            self._in = "module"

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.remote += [f"<style> {m[1]}" for m in _CSS_REMOTE.findall(data)]
        elif self._in == "module":
            self.remote += [f"<script type=module> import {m[0]}" for m in _JS_IMPORT_REMOTE.findall(data)]


def remote_resources(text: str) -> list[str]:
    """Every script, style sheet, image, frame or font the page would fetch over the network.

    Links a reader may click (``<a href>``) and URLs inside scripts' string data (plotly.js names map tile
    servers it never calls for these figures) are not resources and are not reported.
    """
    scanner = _ResourceScanner()
    scanner.feed(text)
    scanner.close()
    return scanner.remote


def check_file(path: Path) -> list[str]:
    """Problems of one exported file: remote resources, a missing local one, plotly.js absent or doubled."""
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.name}: loads {ref} from the network" for ref in remote_resources(text)]
    for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text):
        if not _REMOTE.match(ref) and not (path.parent / ref).exists():
            problems.append(f"{path.name}: {ref} does not exist next to it")
    banners, loads = len(PLOTLYJS_BANNER.findall(text)), _PLOTLYJS_SRC.findall(text)
    if banners:
        problems.append(f"{path.name}: embeds plotly.js {banners} times (it belongs in {PLOTLY_DIR}/, loaded once)")
    if "Plotly.newPlot" in text and len(loads) != 1:
        problems.append(f"{path.name}: has figures but loads {PLOTLY_DIR}/plotly-*.min.js {len(loads)} times")
    return problems


# --------------------------------------------------------------------------------------------- driver
def export_notebook(path: Path, opts: Options) -> Result:
    result = Result(path)
    start = time.perf_counter()
    try:
        nb = execute(path, opts.timeout)
        plotlyjs = vendor_plotlyjs(take_plotlyjs(nb), opts.out)
        result.written = convert(prepare(nb), path.stem, plotlyjs, opts)
    except Exception as err:  # one broken notebook must not hide the others: report it, go on
        result.error = f"{type(err).__name__}: {err}"
    result.seconds = time.perf_counter() - start
    return result


def default_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("."))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to export (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: artifacts/export)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="notebooks run at once")
    parser.add_argument("--no-slides", dest="slides", action="store_false", help="write the HTML pages only")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    parser.add_argument("--theme", default="white", help="reveal.js theme: white or black (local fonts only)")
    args = parser.parse_args(argv)
    if args.theme not in ("white", "black"):
        parser.error(f"--theme must be white or black (the themes without web fonts from a CDN); got {args.theme!r}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    notebooks = [p.resolve() for p in args.notebooks] or default_notebooks()
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    if not notebooks:
        print("export: no notebooks to export (notebooks/*.ipynb is empty)")
        return 0
    opts = Options(out=args.out.resolve(), slides=args.slides, timeout=args.timeout, theme=args.theme)

    start = time.perf_counter()
    ensure_assets(opts.out)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda p: export_notebook(p, opts), notebooks))
    failed = False
    for r in results:
        if r.error:
            failed = True
            print(f"export: FAILED {r.notebook.name} after {r.seconds:.1f} s: {r.error}", file=sys.stderr)
            continue
        for path in r.written:
            problems = check_file(path)
            failed |= bool(problems)
            for problem in problems:
                print(f"export: OFFLINE CHECK FAILED {problem}", file=sys.stderr)
            size = path.stat().st_size / 1e6
            print(f"export: {path.relative_to(opts.out.parent)}  {size:.1f} MB  ({r.seconds:.1f} s)")
    print(f"export: {len(results)} notebook(s) in {time.perf_counter() - start:.1f} s -> {opts.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
