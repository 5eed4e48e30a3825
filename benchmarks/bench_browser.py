"""In-browser latency of a slider: from an ArrowRight key press on a focused slider to the figure's DOM updated.

Run ``make bench`` or ``.venv/bin/python benchmarks/bench_browser.py`` (``--quick`` for 20 presses a case;
``--code "..." --slider LABEL`` to time any snippet once without adding a row). Needs /usr/bin/chromium.

What one press measures, all in the page's own clock (``performance.now()``, so no Python↔browser
round trip is counted):

1. ``arm``: a capture-phase ``keydown`` listener on ``window`` and a MutationObserver on every plotly
   graph in the slider's cell output (subtree, attributes, child list, text) are installed.
2. Python sends the key with ``page.keyboard.press`` (a real Chromium key event through the DevTools
   protocol, delivered to the focused slider, as a keyboard user's would be: an ipywidgets noUiSlider handle
   for the floor, an app's number row, ``explainer.widgets.sliders``, for the apps).
3. t0 = ``performance.now()`` in the capture listener: the moment the page receives the key, before
   ipywidgets sees it. The slider then moves, ipywidgets sends the value to the kernel, the Python
   ``observe`` callback runs, ``batch_update()`` sends the new trace data back, plotly.js redraws.
4. ``dom`` = the first MutationObserver callback inside a graph of the slider's output: the redraw has
   begun (the callback is a microtask, so it runs after the script that changed the DOM, but plotly.js
   redraws in several steps across promises, and other widgets may still be busy). ``frame`` = the first
   ``requestAnimationFrame`` after that change: the earliest frame that can paint it; the main thread was
   free by then. ``settled`` = the animation frame after the last change of the burst (the burst ends at
   300 ms without a change): an app that redraws several figures, or twice, is on screen by then.
   ``frame`` is the latency the user sees first; the ratio column divides its median by the floor's.

Each press waits for the previous one to settle, so presses never queue behind each other (no
ipywidgets throttling, no coalescing); the first presses are warm-up and not counted. At the end of the
slider's range the direction flips. Printed: median and 95th percentile per case, and the ratio of the
``frame`` median to the bare figure's (the floor: one trace, one slider, nothing else), measured in the
same run. Apart from the key press nothing in the page is touched (no mouse, so no hover redraws).

``drawn (s)``: from running the cell (in a freshly started kernel: Python is up, nothing imported) to its
figure drawn in the page, imports included (target for the apps: 3 s).

Add a case: one ``Case(...)`` in ``CASES`` (code or a notebook path, and the slider's description).
Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the harness that the browser tests use

import jupyter_harness as jh  # noqa: E402

# One trace, one slider, one observe callback: the least any slider → FigureWidget app can cost.
FLOOR_CODE = """\
import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

x = np.linspace(0.0, 1.0, 200)
slider = widgets.FloatSlider(value=1.0, min=0.0, max=10.0, step=0.01, description="w")
fig = go.FigureWidget(go.Figure(go.Scatter(x=x, y=np.sin(2 * np.pi * x), mode="lines"), layout=dict(height=300)))


def _on_w_change(change):
    with fig.batch_update():
        fig.data[0].y = np.sin(2 * np.pi * change["new"] * x)


slider.observe(_on_w_change, names="value")
widgets.VBox([slider, fig])
"""


@dataclass(frozen=True)
class Case:
    """One row: ``source`` is Python code for one cell, or the path of a notebook (relative to the repo root);
    ``slider`` the slider: an ipywidgets slider's description (its label text), or ``row:KEY`` for a number row
    of an app's Sliders (``row:W1[0,0]``); the first row is the floor the ratios divide by."""

    name: str
    source: str
    slider: str


CASES = [
    Case("bare FigureWidget, 1 trace (floor)", FLOOR_CODE, slider="w"),
    Case(
        "BackpropExplorer 2-2-2, W1[0,0]",
        "from explainer.widgets import BackpropExplorer\napp = BackpropExplorer()\napp",
        slider="row:W1[0,0]",
    ),
    Case(
        "BackpropExplorer 7 layers (vanishing), W1[0,0]",
        "from explainer.widgets import BackpropExplorer\napp = BackpropExplorer(scenario='vanishing_gradients')\napp",
        slider="row:W1[0,0]",
    ),
    Case(
        "BackpropExplorer neuron diagram, W1[0,0]",
        "from explainer.widgets import BackpropExplorer\n"
        "app = BackpropExplorer(scenario='single_neuron', diagram='neuron')\napp",
        slider="row:W1[0,0]",
    ),
]


def handle_selector(slider: str) -> str:
    """The Playwright selector of a case's slider: a number row's range input, or an ipywidgets slider's handle."""
    if slider.startswith("row:"):
        return f'.bpx-sliders .bpx-row[data-key="{slider[4:]}"] input[type=range] >> nth=0'
    return jh.slider_selector(slider)


# In the page: installs the key listener and the observer, and leaves the promise of the timings in
# window.__bpxPress (not returned: Playwright would wait for it before the key is even pressed).
_ARM_JS = """
([handleSelector, settleMs, timeoutMs]) => {
  const handle = document.querySelector(handleSelector);
  const cell = handle.closest('.jp-OutputArea') || document.body;
  const graphs = Array.from(cell.querySelectorAll('.js-plotly-plot, .bpx-diagram'));
  if (graphs.length === 0) {
    throw new Error('no figure (plotly graph or diagram) in the output of the slider ' + handleSelector);
  }
  if (document.activeElement !== handle) handle.focus();
  const box = handle.closest('.widget-slider') || handle.closest('.bpx-row');
  const readout = box.querySelector('.widget-readout, .bpx-readout');
  const read = () => (readout.value !== undefined ? readout.value : readout.textContent);
  const state = {t0: null, dom: null, frame: null, last: null, lastFrame: null, mutations: 0, before: read()};
  window.__bpxPress = new Promise((resolve) => {
    let quiet = null, done = false;
    const finish = (timedOut) => {
      if (done) return;
      // The frame after the last mutation may still be pending behind a long task: wait for it.
      if (!timedOut && state.last !== null && !(state.lastFrame >= state.last)) {
        requestAnimationFrame(() => finish(false));
        return;
      }
      done = true;
      observer.disconnect();
      window.removeEventListener('keydown', onKey, true);
      clearTimeout(quiet); clearTimeout(guard);
      state.timedOut = timedOut;
      state.after = read();
      resolve(state);
    };
    const onKey = () => { if (state.t0 === null) state.t0 = performance.now(); };
    const observer = new MutationObserver((records) => {
      const now = performance.now();
      if (state.t0 === null) return;  // a late redraw of the previous press
      state.mutations += records.length;
      if (state.dom === null) state.dom = now;
      state.last = now;
      requestAnimationFrame(() => {
        const t = performance.now();
        if (state.frame === null) state.frame = t;
        state.lastFrame = t;
      });
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), settleMs);
    });
    for (const g of graphs) {
      observer.observe(g, {subtree: true, attributes: true, childList: true, characterData: true});
    }
    window.addEventListener('keydown', onKey, true);
    const guard = setTimeout(() => finish(true), timeoutMs);
  });
}
"""


@dataclass
class Result:
    case: Case
    dom: np.ndarray  # (presses,) ms from key to the first DOM change in a graph
    frame: np.ndarray  # (presses,) ms from key to the first animation frame after that change
    settled: np.ndarray  # (presses,) ms from key to the animation frame after the last change of the burst
    drawn: float = float("nan")  # s from the cell's start (a fresh kernel, warm Python) to its figure drawn


class Session:
    """One Chromium and the lab servers the cases need, shared by every case of a run."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = jh.launch_browser(self._pw)
        self.servers: dict[Path, jh.Server] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="bpx-bench-"))

    def server(self, root: Path) -> jh.Server:
        root = root.resolve()
        if root not in self.servers:
            self.servers[root] = jh.start_lab(root)
        return self.servers[root]

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.browser.close()
        self._pw.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _notebook_for(session: Session, source: str, name: str) -> tuple[jh.Server, str]:
    """(server, path under its root) for a notebook path or a code snippet (written to a throw-away notebook)."""
    path = Path(source) if source.endswith(".ipynb") else None
    if path is not None:
        path = (ROOT / path) if not path.is_absolute() else path
        if not path.is_file():
            raise ValueError(f"source must be code or an existing notebook, got {source!r}")
        root = ROOT if ROOT in path.resolve().parents else path.parent
        return session.server(root), path.resolve().relative_to(root.resolve()).as_posix()
    import nbformat

    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
    )
    nb.cells = [nbformat.v4.new_code_cell(source)]
    filename = f"case_{abs(hash((name, source))) % 10**8}.ipynb"
    nbformat.write(nb, session.tmp / filename)
    return session.server(session.tmp), filename


def measure(
    source: str,
    slider: str,
    *,
    name: str | None = None,
    presses: int = 60,
    warmup: int = 5,
    settle_ms: float = 300.0,
    timeout_ms: float = 10_000.0,
    session: Session | None = None,
) -> Result:
    """Time ``presses`` ArrowRight presses on the slider labelled ``slider`` in ``source`` (code or notebook).

    Opens the notebook in JupyterLab, runs it (failing on any error or unrendered widget), focuses the
    slider's handle, and times each press as the module docstring describes. Returns the timings in ms.
    """
    if presses < 1 or warmup < 0:
        raise ValueError(f"presses must be >= 1 and warmup >= 0, got presses={presses}, warmup={warmup}")
    own = session is None
    session = session or Session()
    case = Case(name or slider, source, slider)
    page = jh.new_page(session.browser)
    console = jh.ConsoleLog()
    console.attach(page)
    try:
        server, path = _notebook_for(session, source, case.name)
        jh.open_notebook(page, server, path)
        started = time.perf_counter()
        jh.run_all_cells(page)
        page.wait_for_function(
            "() => document.querySelector('.jp-OutputArea-output .bpx-diagram g[data-part] text, "
            ".jp-OutputArea-output .js-plotly-plot .main-svg')",
            timeout=120_000,
        )
        drawn = time.perf_counter() - started
        jh.assert_no_errors(page)
        problems = jh.widget_problems(page)
        if problems:
            raise AssertionError(f"{case.name}: widgets did not render: {problems}")
        handle = handle_selector(slider)
        page.locator(handle).wait_for(state="attached", timeout=60_000)
        css = page.locator(handle).evaluate(
            "(h) => { h.setAttribute('data-bpx-bench', '1'); return '[data-bpx-bench=\"1\"]'; }"
        )
        page.locator(css).focus()
        key, rows, flips = "ArrowRight", [], 0
        while len(rows) < warmup + presses:
            page.evaluate(_ARM_JS, [css, settle_ms, timeout_ms])
            page.keyboard.press(key)
            state = page.evaluate("() => window.__bpxPress")
            if state["before"] == state["after"]:  # the slider is at the end of its range
                flips += 1
                if flips > 2:
                    raise RuntimeError(f"{case.name}: the slider does not move with {key}")
                key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
                continue
            if state["timedOut"] and state["dom"] is None:
                errors = "\n".join(jh.notebook_errors(page)) or "no error in the notebook"
                raise RuntimeError(
                    f"{case.name}: press {len(rows) + 1} moved the slider ({state['before']} -> {state['after']})"
                    f" but no figure changed within {timeout_ms:.0f} ms; {errors}"
                )
            if state["t0"] is None:
                raise RuntimeError(f"{case.name}: the key press never reached the page")
            rows.append((state["dom"] - state["t0"], state["frame"] - state["t0"], state["lastFrame"] - state["t0"]))
        jh.assert_no_errors(page)
        unexpected = console.unexpected()
        if unexpected:
            raise AssertionError(f"{case.name}: console errors:\n" + "\n".join(unexpected))
        data = np.array(rows[warmup:])
        return Result(case, dom=data[:, 0], frame=data[:, 1], settled=data[:, 2], drawn=drawn)
    finally:
        page.context.close()
        for server in session.servers.values():
            server.shutdown_kernels()
        if own:
            session.close()


def _p95(values: np.ndarray) -> float:
    return float(np.percentile(values, 95))


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def report(results: list[Result], load_before: float | None = None) -> None:
    """Print the table: median and p95 per measure, ratio of the frame median to the first row's (the floor).

    ``load_before``: the load average before the run started. The run's own lab, kernel and Chromium raise
    the load seen at the end to about 2, so only the load before says whether other work was running.
    """
    load = _load() if load_before is None else load_before
    when = "before the run" if load_before is not None else "at the end of the run (its own processes included)"
    cores = os.cpu_count() or 1
    print(f"{cores} cores, load average {load:.1f} over the last minute {when}; times in ms from the key press")
    if load > 0.75 * cores:
        print(f"WARNING: other work is running (load {load:.1f} on {cores} cores): these figures are pessimistic")
    head = ["case", "presses", "dom median", "dom p95", "frame median", "frame p95", "settled median",
            "settled p95", "frame / floor", "drawn (s)"]  # fmt: skip
    floor = float(np.median(results[0].frame))
    table = [
        [
            r.case.name,
            str(len(r.dom)),
            *(f"{f(v):.1f}" for v in (r.dom, r.frame, r.settled) for f in (np.median, _p95)),
            f"{np.median(r.frame) / floor:.2f}",
            f"{r.drawn:.1f}",
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *table]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))


# ---------------------------------------------------------------------------------------------- playback
_SURFACE = "from explainer.widgets import LossSurfaceExplorer\n"
PLAYBACK = {
    "LossSurfaceExplorer, surface and map": _SURFACE + "LossSurfaceExplorer()",
    "LossSurfaceExplorer, map": _SURFACE + "LossSurfaceExplorer(kind='contour')",
}

# Counts the frames the page draws while the descent plays: each change of the player's status line is a new
# frame applied (explainer/widgets/live_figure.js writes it after the frame's Plotly.react).
_PLAY_JS = """
async (seconds) => {
  const status = document.querySelector('.bpx-live-figure .bpx-status');
  const button = document.querySelector('.bpx-live-figure .bpx-play');
  const times = [];
  const observer = new MutationObserver(() => times.push(performance.now()));
  observer.observe(status, {childList: true, characterData: true, subtree: true});
  button.click();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  observer.disconnect();
  if (button.textContent.includes('pause')) button.click();
  return times;
}
"""


def measure_playback(source: str, *, seconds: float = 5.0, session: Session) -> dict:
    """Frames a second while the descent plays in the page (▶ pressed once; ``seconds`` of play)."""
    page = jh.new_page(session.browser)
    try:
        server, path = _notebook_for(session, source, "playback")
        jh.open_notebook(page, server, path)
        started = time.perf_counter()
        jh.run_all_cells(page)
        jh.wait_for_plots(page, 1, timeout=120)
        drawn = time.perf_counter() - started
        page.wait_for_timeout(1000)
        times = page.evaluate(_PLAY_JS, seconds)
        frames = len(times)
        fps = (frames - 1) / ((times[-1] - times[0]) / 1000) if frames > 1 else 0.0
        return {"frames": frames, "fps": fps, "first_draw_s": drawn}
    finally:
        page.context.close()
        for server in session.servers.values():
            server.shutdown_kernels()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 presses a case instead of 60")
    parser.add_argument("--code", help="time this code (or .ipynb path) after the floor instead of the CASES")
    parser.add_argument("--slider", help="with --code: the description of the slider to press")
    args = parser.parse_args(argv)
    if (args.code is None) != (args.slider is None):
        parser.error("--code and --slider go together")
    if not jh.CHROMIUM.exists():
        print(jh.MISSING_CHROMIUM, file=sys.stderr)
        return 1
    presses = 20 if args.quick else 60
    cases = CASES if args.code is None else [CASES[0], Case(f"--code, slider {args.slider}", args.code, args.slider)]
    start, load_before = time.perf_counter(), _load()
    with Session() as session:
        results = [measure(c.source, c.slider, name=c.name, presses=presses, session=session) for c in cases]
        playback = {} if args.code else {n: measure_playback(s, session=session) for n, s in PLAYBACK.items()}
    report(results, load_before)
    if playback:
        print("\nLoss-surface playback in the page (target >= 20 frames a second):")
        for name, r in playback.items():
            drawn = f"cell run to drawn {r['first_draw_s']:.1f} s"
            print(f"  {name}: {r['fps']:.1f} frames/s ({r['frames']} frames in 5 s); {drawn}")
    print(f"({time.perf_counter() - start:.0f} s in all, lab start and notebook runs included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
