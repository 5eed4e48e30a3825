"""scripts/export.py: exported pages and reveal.js decks play offline (plotly.js, reveal.js and MathJax in vendor/).

One small notebook (a backward-pass animation, a BackpropExplorer, a Quiz, a bare slider, maths and a link)
is exported once per module; the tests then read the files. The unit tests of the pieces need no kernel.
The real-browser check (file://, network blocked, ▶ pressed) is tests/browser/test_export_browser.py.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


export = _load("export")
export_static = _load("export_static")

SMALL = [
    (
        "markdown",
        "# Backward pass\n\nThe chain rule: $\\frac{\\partial L}{\\partial w} = \\delta a$. [Mazur](https://example.org/mazur)",
    ),
    (
        "code",
        "from explainer import worked_example\nfrom explainer.views import animate_backward\nsc = worked_example()",
    ),
    ("code", "animate_backward(sc.network.backprop(sc.X, sc.y), lr=sc.lr)"),
    ("markdown", "## The explorer"),
    ("code", "from explainer.widgets import BackpropExplorer, Quiz\nBackpropExplorer()"),
    ("code", "Quiz(['forward_neuron'])"),
    ("code", "import ipywidgets\nipywidgets.IntSlider(3)"),
    ("code", "from explainer.widgets import Playground\nPlayground(preset='xor')"),
]


def _notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source) for kind, source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    if shutil.which("npm") is None and not (export.NPM_CACHE / "node_modules" / ".package-lock.json").exists():
        pytest.skip("the export fetches reveal.js and MathJax with npm once: npm is not installed")
    folder = tmp_path_factory.mktemp("export")
    path = folder / "small.ipynb"
    nbformat.write(_notebook(SMALL), path)
    assert export.main([str(path), "--out", str(folder / "out"), "--jobs", "1"]) == 0
    return folder / "out"


@pytest.fixture(scope="module")
def page(out) -> str:
    return (out / "small.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def deck(out) -> str:
    return (out / "small.slides.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ the exported files
@pytest.mark.parametrize("name", ["page", "deck"])
def test_plotlyjs_is_loaded_once_from_vendor_by_a_relative_path(name, request, out):
    text = request.getfixturevalue(name)
    version = get_plotlyjs_version()
    head, body = text.split("</head>", 1)
    assert re.findall(r'<script src="(vendor/plotly\.js/[^"]+)"', text) == [f"vendor/plotly.js/plotly-{version}.min.js"]
    assert 'src="vendor/plotly.js/' in head and "Plotly.newPlot" in body
    assert "plotly.js v" not in text and len(text) < 1_000_000  # the library is not in the page
    library = (out / "vendor" / "plotly.js" / f"plotly-{version}.min.js").read_text(encoding="utf-8")
    assert re.findall(r"plotly\.js v(\d+\.\d+\.\d+)", library[:2000]) == [version]  # the kernel's own plotly.js
    assert len(library) > 3_000_000


def test_the_vendor_library_is_written_once_and_shared(tmp_path):
    activation = (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        "<script>/** plotly.js v4.1.1 */ var Plotly = {};</script>\n"
    )
    head = export.vendor_plotlyjs(activation, tmp_path)
    assert head == (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        '<script src="vendor/plotly.js/plotly-4.1.1.min.js"></script>\n'
    )
    assert (tmp_path / "vendor/plotly.js/plotly-4.1.1.min.js").read_text() == "/** plotly.js v4.1.1 */ var Plotly = {};"
    assert export.vendor_plotlyjs(activation, tmp_path) == head  # a second page: the same file, the same tag
    assert export.vendor_plotlyjs("", tmp_path) == ""  # a notebook without figures loads no plotly.js


@pytest.mark.parametrize("name", ["page", "deck"])
def test_nothing_is_loaded_from_the_network(name, request):
    text = request.getfixturevalue(name)
    assert export.remote_resources(text) == []
    assert 'href="https://example.org/mazur"' in text  # a link in the prose stays: it is not a resource


def test_local_assets_exist_and_every_file_passes_the_check(out, deck):
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', deck)
    assert "vendor/reveal.js/dist/reveal.js" in srcs
    assert "vendor/reveal.js/dist/reveal.css" in srcs
    assert "vendor/reveal.js/dist/theme/white.css" in srcs
    assert "vendor/mathjax/es5/tex-svg-full.js" in srcs
    for src in srcs:
        assert (out / src).is_file(), src
    assert (out / "vendor/reveal.js/dist/theme/fonts/source-sans-pro/source-sans-pro.css").is_file()
    assert export.check_file(out / "small.html") == []
    assert export.check_file(out / "small.slides.html") == []


def _frames(text: str) -> list[dict]:
    start = text.index("Plotly.addFrames(")
    start = text.index("[", start)
    frames, _ = json.JSONDecoder().raw_decode(text, start)
    return frames


@pytest.mark.parametrize("name", ["page", "deck"])
def test_the_animation_frames_are_in_the_file(name, request):
    from explainer import worked_example
    from explainer.views import animate_backward

    sc = worked_example()
    expected = animate_backward(sc.network.backprop(sc.X, sc.y), lr=sc.lr)
    frames = _frames(request.getfixturevalue(name))
    assert [f["name"] for f in frames] == [f.name for f in expected.frames] == ["∂L/∂a", "layer 2", "layer 1", "update"]
    # the update frame carries the engine's numbers: w5 = 0.40 becomes 0.35891648 after one step (Mazur)
    assert "0.3589" in json.dumps(frames[-1], ensure_ascii=False)
    assert text_has_player(request.getfixturevalue(name))


def text_has_player(text: str) -> bool:
    return '"updatemenus"' in text and '"sliders"' in text


def test_apps_become_static_figures_and_notes(page):
    assert "application/vnd.jupyter.widget-view+json" not in page  # no live widget left to render
    assert page.count('class="plotly-graph-div"') == 1  # the animation
    assert page.count(f'<p class="{export_static.NOTE_CLASS}"') == 4  # explorer, quiz, bare slider, Playground
    assert "a picture of the live <code>BackpropExplorer</code>" in page
    pictures = [base64.b64decode(b).decode() for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
    assert any("w₅ +0.08217" in svg for svg in pictures)  # the explorer's diagram, as the SVG the live app draws
    assert "In the forward pass, what does one neuron compute" in page  # the quiz's question …
    assert "<details><summary>Answer</summary>" in page  # … with its answer folded away
    assert "An interactive widget was here" in page


def test_the_playground_is_exported_trained_with_its_setup(page):
    """A step-0 Playground says nothing in a lecture: the export trains it first and lists what it was trained with."""
    assert f"a picture, after {export_static.TRAIN_STEPS:,} training steps, of the live <code>Playground</code>" in page
    setup = re.search(r'<p class="bpx-export-setup">([^<]*)</p>', page)
    assert setup and "data: xor" in setup[1] and f"step {export_static.TRAIN_STEPS:,}: train loss" in setup[1]


def test_an_app_cells_code_is_folded_in_the_deck_and_shown_on_the_page(page, deck):
    """On a slide the app's picture is what the room needs: its code folds under "the code"; the page keeps it."""
    # the explorer, the quiz and the Playground (the bare slider is no app: its cell is left as it is)
    assert deck.count('<details class="bpx-export-code"><summary>the code</summary>') == 3
    assert "bpx-export-code" not in page.replace(".bpx-export-code", "")  # the page: code as it is (CSS aside)


def test_cells_are_numbered_from_one_and_the_setup_cell_is_gone(page):
    assert "export_static" not in page
    prompts = re.findall(r'jp-InputArea-prompt">In(?:\s|&nbsp;)*\[(\d+)\]:', page)
    assert prompts == ["1", "2", "3", "4", "5", "6"]


def test_the_deck_has_a_slide_per_heading_and_local_math(deck):
    sections = re.findall(r"<section\b", deck)
    assert len(sections) == 2 * 2  # two slides, each an outer <section> around one subslide <section>
    assert "\\frac{\\partial L}{\\partial w}" in deck  # MathJax typesets it in the browser, from vendor/
    assert "Reveal.initialize" in deck and "width: 1280" in deck


# ------------------------------------------------------------------------------------------ the pieces, no kernel
def test_remote_resources_finds_each_kind_and_ignores_links():
    text = """
    <script src="https://cdn.example/x.js"></script>
    <link rel="stylesheet" href="//cdn.example/x.css">
    <img src="http://example.org/a.png"><img src="local.png">
    <style>@import url(https://fonts.example/css); .a { background: url('local.png') }</style>
    <div style="background: url(https://example.org/b.png)"></div>
    <script type="module">import "https://cdn.plot.ly/plotly-3.0.0.min"</script>
    <script>var tiles = "https://tile.example/{z}/{x}/{y}.png";</script>
    <a href="https://example.org">a link</a>
    """
    found = export.remote_resources(text)
    assert len(found) == 6
    for url in (
        "cdn.example/x.js",
        "cdn.example/x.css",
        "example.org/a.png",
        "fonts.example/css",
        "b.png",
        "cdn.plot.ly",
    ):
        assert sum(url in f for f in found) == 1, url


def test_check_file_reports_missing_assets_and_embedded_or_unloaded_plotlyjs(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<script src="vendor/none.js"></script><script>/* plotly.js v4.1.1 */</script>'
        "<script>Plotly.newPlot('a', [])</script>"
    )
    problems = export.check_file(page)
    assert len(problems) == 3
    assert "vendor/none.js does not exist" in problems[0]
    assert "embeds plotly.js 1 times" in problems[1]
    assert "has figures but loads vendor/plotly.js/plotly-*.min.js 0 times" in problems[2]


def test_the_first_export_without_the_npm_registry_says_so_without_a_traceback(tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    notebook = tmp_path / "one.ipynb"
    nbformat.write(_notebook([("markdown", "# One")]), notebook)
    env = {
        **os.environ,
        "npm_config_registry": "http://127.0.0.1:9",  # nothing listens there: refused at once
        "npm_config_cache": str(tmp_path / "npm-cache"),  # and no cached tarball to fall back on
        "npm_config_fetch_retries": "0",
    }
    # A fresh clone: no artifacts/cache/npm yet (the script's cache folder, pointed at a new one here).
    code = (
        "import sys, runpy; from pathlib import Path; sys.argv = ['export.py', *sys.argv[1:]]; "
        f"sys.path.insert(0, {str(SCRIPTS)!r}); import export; export.NPM_CACHE = Path({str(tmp_path / 'cache')!r}); "
        "sys.exit(export.main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(notebook), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert "export: could not fetch reveal.js and MathJax" in result.stderr
    assert "`npm ci` in" in result.stderr and "npm said:" in result.stderr
    assert "run `make export` again" in result.stderr
    assert not (tmp_path / "cache" / "package-lock.json").exists()  # the next run fetches again


def test_prepare_drops_cdn_mathjax_and_replaces_leftover_widgets():
    nb = _notebook([("code", "x")])
    nb.metadata["widgets"] = {"state": {}}
    figure = '<div>    <script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"></script><b>fig</b></div>'
    nb.cells[0].outputs = [
        nbformat.v4.new_output("display_data", {"text/html": figure, "text/plain": "Figure"}),
        nbformat.v4.new_output("display_data", {export.WIDGET_VIEW: {"model_id": "m"}, "text/plain": "IntSlider(3)"}),
        nbformat.v4.new_output("stream", text="hello"),
    ]
    ready = export.prepare(nb)
    html0 = ready.cells[0].outputs[0]["data"]["text/html"]
    assert "mathjax" not in html0 and "<b>fig</b>" in html0
    assert ready.cells[0].outputs[1]["data"] == {"text/html": export.WIDGET_NOTE}
    assert ready.cells[0].outputs[2]["text"] == "hello"
    assert "widgets" not in ready.metadata
    assert nb.cells[0].outputs[1]["data"]["text/plain"] == "IntSlider(3)"  # the input is left alone


def test_take_plotlyjs_moves_the_activation_output_out_of_the_cells():
    nb = _notebook([("code", "fig")])
    activation = "<script>window.PlotlyConfig = {};</script><script>/** plotly.js v4.1.1 */ var Plotly</script>"
    figure = "<div><script>Plotly.newPlot('id', [])</script></div>"
    nb.cells[0].outputs = [
        nbformat.v4.new_output("display_data", {"text/html": activation}),
        nbformat.v4.new_output("display_data", {"text/html": figure}),
    ]
    assert export.take_plotlyjs(nb) == activation
    assert [o["data"]["text/html"] for o in nb.cells[0].outputs] == [figure]


def test_auto_slides_only_without_slide_metadata():
    nb = _notebook(
        [("markdown", "intro"), ("markdown", "## A"), ("code", "x"), ("markdown", "text #1"), ("markdown", "# B")]
    )
    assert export.auto_slides(nb) is True
    assert [c.metadata.slideshow.slide_type for c in nb.cells] == ["slide", "slide", "-", "-", "slide"]
    authored = _notebook([("markdown", "# A"), ("markdown", "# B")])
    authored.cells[1].metadata["slideshow"] = {"slide_type": "fragment"}
    assert export.auto_slides(authored) is False
    assert "slideshow" not in authored.cells[0].metadata


def test_renderer_embeds_plotlyjs_rather_than_linking_a_cdn():
    import plotly.io as pio

    names = export.PLOTLY_RENDERER.split("+")
    assert "notebook_connected" not in names and "notebook" in names
    # plotly's "notebook" renderer embeds get_plotlyjs() on activation; "notebook_connected" imports a CDN URL
    assert pio.renderers["notebook"].connected is False
    assert pio.renderers["notebook"].include_plotlyjs != "cdn"
    assert pio.renderers["notebook_connected"].include_plotlyjs == "cdn"


def test_quiz_html_escapes_and_folds_answers():
    from explainer.course.questions import Question

    q = Question("k", "forward pass", "Is <b> a tag?", ("yes & no", "no"), 0, "Because <b>.")
    html = export_static.quiz_html([q])
    assert "Is &lt;b&gt; a tag?" in html and "yes &amp; no" in html
    assert "<details><summary>Answer</summary><p><b>yes &amp; no</b> — Because &lt;b&gt;.</p></details>" in html


def test_main_rejects_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        export.main([str(tmp_path / "missing.ipynb")])
    assert "no such notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        export.main(["--theme", "simple"])
    assert "--theme must be white or black" in capsys.readouterr().err
