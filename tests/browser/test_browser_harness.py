"""Self-tests of the browser harness on the throw-away notebooks in tests/browser/fixtures/.

The harness must see a rendered widget as rendered, and must be able to fail: each detector is run
against a notebook that breaks in exactly the way it looks for.
"""

from __future__ import annotations

import math
import sys
import time

import jupyter_harness as jh
import pytest


def _open_and_run(page, server, name: str, graphs: int = 0) -> dict:
    jh.open_notebook(page, server, name)
    state = jh.run_all_cells(page)
    if graphs:  # on a busy machine a FigureWidget can be drawn after run_all_cells's settling window
        page.wait_for_function(
            "(n) => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((gd) => gd._fullData"
            " && gd.querySelector('.gtitle')).length >= n",
            arg=graphs,
            timeout=60_000,
        )
    return state


def test_good_notebook_runs_and_renders(page, fixture_lab, fixture_dir):
    files_before = {p: p.read_bytes() for p in fixture_dir.rglob("*") if p.is_file()}
    state = _open_and_run(page, fixture_lab, "widgets_ok.ipynb", graphs=2)

    assert state == {"ok": True, "cells": 3, "executed": 3, "error": None}
    jh.assert_no_errors(page)
    assert jh.widget_problems(page) == []
    assert jh.widget_reprs_rendered(page)
    # The kernel is this virtualenv's Python.
    stdout = page.locator('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stdout"]').first.text_content()
    assert stdout.strip() == sys.prefix
    assert page.locator(".widget-slider .noUi-handle").count() == 1
    assert jh.slider_readout(page, jh.slider_selector("freq")) == "1"
    assert page.locator(".widget-dropdown select").input_value() == "sin"
    graphs = page.locator(".js-plotly-plot")
    assert graphs.count() == 2
    assert all(graphs.nth(i).locator(".main-svg").count() >= 1 for i in range(2))
    assert jh.plot_titles(page) == ["slider figure", "frames figure"]
    assert jh.empty_plots(page) == []
    (trace,) = jh.plot_traces(page, jh.plot_index(page, "slider figure"))
    assert len(trace["y"]) == 50
    assert trace["y"][12] == pytest.approx(math.sin(2 * math.pi * 12 / 49))
    assert jh.screenshot(page, "harness-widgets_ok").stat().st_size > 10_000
    app = jh.screenshot(page, "harness-widgets_ok-app", selector=".jp-OutputArea-output:has(.widget-slider)")
    assert app.stat().st_size > 10_000
    # The throw-away settings took: no news pop-up, no autosave into the repo, every cell in the DOM.
    assert jh.lab_settings(page, "@jupyterlab/apputils-extension:notification")["fetchNews"] == "false"
    assert jh.lab_settings(page, "@jupyterlab/docmanager-extension:plugin")["autosave"] is False
    assert jh.lab_settings(page, "@jupyterlab/notebook-extension:tracker")["windowingMode"] == "none"
    # Opening and running wrote nothing into the served folder (no checkpoints, no saved outputs).
    assert {p: p.read_bytes() for p in fixture_dir.rglob("*") if p.is_file()} == files_before


def test_arrow_right_on_slider_updates_figure(page, fixture_lab):
    _open_and_run(page, fixture_lab, "widgets_ok.ipynb", graphs=2)
    index = jh.plot_index(page, "slider figure")
    handle = jh.slider_selector("freq")
    before = jh.plot_traces(page, index)[0]["y"]

    jh.press_slider(page, handle, "ArrowRight")
    after = jh.wait_for_trace_change(page, index, before)

    assert jh.slider_readout(page, handle) == "2"
    x = [k / 49 for k in range(50)]
    assert after == pytest.approx([math.sin(2 * math.pi * 2 * xk) for xk in x], abs=1e-12)
    # Three more presses: the drawn SVG path follows the data, not only gd._fullData.
    line = page.locator(".js-plotly-plot").nth(index).locator(".scatterlayer .trace path.js-line")
    path_before = line.get_attribute("d")
    jh.press_slider(page, handle, "ArrowRight", times=3)
    _wait_for_y(page, index, [math.sin(2 * math.pi * 5 * xk) for xk in x])
    assert jh.slider_readout(page, handle) == "5"
    assert line.get_attribute("d") != path_before

    # The dropdown and the button drive the same figure.
    jh.select_option(page, "wave", "cos")
    _wait_for_y(page, index, [math.cos(2 * math.pi * 5 * xk) for xk in x])
    jh.click_button(page, "reset")
    _wait_for_y(page, index, [math.cos(2 * math.pi * xk) for xk in x])
    assert jh.slider_readout(page, handle) == "1"
    jh.assert_no_errors(page)


def _wait_for_y(page, index: int, want: list[float]) -> None:
    page.wait_for_function(
        """([i, want]) => {
          const y = document.querySelectorAll('.js-plotly-plot')[i]._fullData[0].y;
          return y.length === want.length && want.every((v, k) => Math.abs(y[k] - v) < 1e-9);
        }""",
        arg=[index, want],
        timeout=30_000,
    )


def test_play_button_animates_frames(page, fixture_lab):
    _open_and_run(page, fixture_lab, "widgets_ok.ipynb", graphs=2)
    index = jh.plot_index(page, "frames figure")
    graph = page.locator(".js-plotly-plot").nth(index)
    assert jh.plot_traces(page, index)[0]["y"] == [0, 0, 0]

    # Plotly's SVG buttons sit under the output prompt overlay: dispatch the click instead of clicking.
    button = graph.locator(".updatemenu-button").first
    assert button.text_content() == "Play"
    button.dispatch_event("click")

    page.wait_for_function(
        "(i) => document.querySelectorAll('.js-plotly-plot')[i]._fullLayout.sliders[0].active === 4",
        arg=index,
        timeout=30_000,
    )
    assert jh.plot_traces(page, index)[0]["y"] == [4, 8, 12]


def test_error_in_a_cell_is_detected(page, fixture_lab):
    state = _open_and_run(page, fixture_lab, "raises.ipynb")

    assert state["ok"] is False
    assert (state["cells"], state["executed"]) == (3, 2)
    errors = jh.notebook_errors(page)
    assert len(errors) == 2, errors
    assert "ValueError: deliberate failure for the harness self-test" in errors[0]
    assert errors[0].startswith("cell 2:")
    assert "cell 3: not executed" in errors[1]
    with pytest.raises(AssertionError, match="deliberate failure"):
        jh.assert_no_errors(page)


def test_error_in_a_widget_callback_is_detected(page, fixture_lab):
    _open_and_run(page, fixture_lab, "callback_raises.ipynb")
    jh.assert_no_errors(page)  # nothing has moved yet

    jh.press_slider(page, jh.slider_selector("boom"), "ArrowRight")
    page.wait_for_function("() => window.__bpxKernelErrors.length > 0", timeout=30_000)

    errors = jh.notebook_errors(page)
    assert len(errors) == 1, errors
    assert "RuntimeError: deliberate callback failure at 1" in errors[0]
    assert "from comm_msg" in errors[0]  # the slider's message, not a cell, raised it
    with pytest.raises(AssertionError, match="deliberate callback failure"):
        jh.assert_no_errors(page)


def test_widget_that_cannot_render_is_detected(page, console, fixture_lab):
    console.allow(r"widget model not found")  # the widget manager logs the failure we provoke
    _open_and_run(page, fixture_lab, "widget_missing.ipynb")

    problems = jh.widget_problems(page)
    assert problems, "a widget view without a model must be reported"
    assert any("model not found" in p for p in problems)
    assert not jh.widget_reprs_rendered(page)


def test_text_repr_of_a_widget_is_detected(page):
    # What a notebook shows where the widget manager is missing: the widget's repr as plain text.
    page.set_content(
        '<div class="jp-OutputArea-output"><div class="jp-RenderedText" data-mime-type="text/plain">'
        "<pre>IntSlider(value=3, description='w')</pre></div></div>"
        '<div class="jp-OutputArea-output"><div class="jp-RenderedText" data-mime-type="text/plain">'
        "<pre>Text(0.5, 1.0, 'a matplotlib title is not a widget')</pre></div></div>"
    )
    assert jh.widget_problems(page) == ["text repr instead of a widget: IntSlider(value=3, description='w')"]


def test_empty_plots_are_detected(page):
    # Stand-ins for drawn graphs: what plotly.js leaves on the element (gd._fullData) is all the check reads.
    page.set_content("".join(f'<div class="js-plotly-plot" id="g{i}"></div>' for i in range(5)))
    page.evaluate(
        """() => {
          document.getElementById('g1')._fullData = [];
          document.getElementById('g2')._fullData = [{type: 'scatter', visible: true, x: [], y: []}];
          document.getElementById('g3')._fullData = [{type: 'scatter', visible: false, x: [1], y: [2]}];
          document.getElementById('g4')._fullData = [{type: 'heatmap', visible: true, z: [[1, 2]]}];
        }"""
    )
    assert jh.empty_plots(page) == [
        "graph 0: never drawn",
        "graph 1: no traces",
        "graph 2: no visible trace has a point",
        "graph 3: no visible trace has a point",
    ]


def test_empty_diagrams_are_detected(page):
    # Stand-ins for the live SVG Diagram (explainer/widgets/diagram.js): its parts are <g data-part> groups.
    page.set_content("".join(f'<div class="bpx-diagram" id="d{i}"><svg class="bpx-svg"></svg></div>' for i in range(3)))
    page.evaluate(
        """() => {
          const ns = 'http://www.w3.org/2000/svg';
          for (const id of ['d1', 'd2']) {
            const g = document.createElementNS(ns, 'g');
            g.setAttribute('data-part', 'nodes:1');
            document.querySelector(`#${id} svg`).appendChild(g);
          }
          const text = document.createElementNS(ns, 'text');
          text.textContent = 'h₁';
          document.querySelector('#d2 g').appendChild(text);
        }"""
    )
    assert jh.empty_plots(page) == ["diagram 0: never drawn", "diagram 1: no text drawn"]
    assert jh.widget_problems(page) == [f"diagram {i} drew no text: no scene arrived" for i in range(2)]
    assert jh.wait_for_widgets(page, timeout=1) is False  # two diagrams never drew
    jh.wait_for_diagrams(page, 1, timeout=1)  # the third did
    assert jh.diagram_texts(page, 2) == ["h₁"]


def test_console_errors_are_collected(page, console):
    page.set_content("<p>console test</p>")
    page.evaluate("() => { console.error('bpx deliberate console error'); console.warn('only a warning'); }")
    page.evaluate("() => setTimeout(() => { throw new Error('bpx deliberate uncaught'); }, 0)")
    page.wait_for_timeout(200)

    unexpected = console.unexpected()
    assert len(unexpected) == 2, unexpected
    assert unexpected[0] == "console.error: bpx deliberate console error"
    assert unexpected[1].startswith("pageerror: bpx deliberate uncaught")
    console.allow(r"bpx deliberate")  # the errors were wanted here, so the page fixture must not fail
    assert console.unexpected() == []


def test_voila_renders_widgets_and_follows_the_slider(page, voila_server, fixture_dir):
    server = voila_server(fixture_dir / "widgets_ok.ipynb")
    page.goto(server.page_url(""), timeout=120_000)
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=120_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter((g) => g.querySelector('.main-svg'))"
        ".length === 2",
        timeout=60_000,
    )

    # The FigureWidget's layout (its title) arrives a moment after its first drawing.
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .gtitle').length === 2", timeout=30_000)
    assert jh.notebook_errors(page) == []
    assert jh.widget_problems(page) == []
    assert jh.plot_titles(page) == ["slider figure", "frames figure"]
    index = jh.plot_index(page, "slider figure")
    before = jh.plot_traces(page, index)[0]["y"]
    jh.press_slider(page, jh.slider_selector("freq"), "ArrowRight")
    after = jh.wait_for_trace_change(page, index, before)
    assert after[12] == pytest.approx(math.sin(2 * math.pi * 2 * 12 / 49))
    jh.screenshot(page, "harness-voila-widgets_ok")


def test_missing_chromium_fails_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setattr(jh, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(RuntimeError, match="make test"):
        jh.require_chromium()


def test_stop_leaves_no_kernel_or_server_behind(tmp_path):
    import psutil

    (tmp_path / "empty").mkdir()
    server = jh.start_lab(tmp_path / "empty")
    try:
        kernel = server.api("POST", "api/kernels")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not psutil.Process(server.process.pid).children(recursive=True):
            time.sleep(0.2)
        pids = [server.process.pid] + [p.pid for p in psutil.Process(server.process.pid).children(recursive=True)]
        assert len(pids) >= 2, f"kernel {kernel['id']} never started"
    finally:
        server.stop()
    time.sleep(0.5)
    alive = [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert alive == []
    assert not server.tmp_dir.exists()
    assert list((tmp_path / "empty").iterdir()) == []  # nothing written into the served folder
