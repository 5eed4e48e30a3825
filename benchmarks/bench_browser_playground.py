"""The Playground while it plays, in Chromium: drawn updates per second, training steps per second shown, and the
bytes the kernel sends the page per second; beside a bare one-trace FigureWidget played the same way.

Run ``.venv/bin/python benchmarks/bench_browser_playground.py`` (``--seconds 10`` a case by default;
``--before /tmp/before`` adds the Playground of another checkout, e.g. ``git worktree add /tmp/before 165acb4``).
Needs /usr/bin/chromium. Not part of the test suite: the numbers depend on the machine and its load.

What is measured, in the page's own clock (``performance.now()``), for ``--seconds`` after a warm-up second:

- drawn updates per second: animation frames (``requestAnimationFrame``) in which the app's picture changed.
  For the Playground, the frame in which its stage shows a new revision (the page sets ``data-revision`` when
  it has drawn the kernel's newest bytes); for a plotly app, a frame in which a MutationObserver saw a graph
  of the cell's output change.
- steps per second shown: the step count the status line shows at the end, less the one at the start, over
  the time between (read from the page's text, so only what a learner sees counts).
- bytes per second: every websocket frame the page receives from the server while playing (Playwright's
  ``framereceived``: JSON and binary buffers alike), over the time.
- frames per second: all animation frames, the page's own rate (headless Chromium, software rendering).

The cases: the floor (one FigureWidget trace, updated by the kernel each time the page asks, three asks in
flight: the least a kernel-driven animation through JupyterLab can cost), the Spiral preset (2-8-8-1,
500 points, every neuron's map live), and with ``--before`` the Playground of that checkout (its Play widget,
one tick every 100 ms, 10 steps a tick). ``--memory-steps 20000``: the Playgrounds then play on until the
status shows that many steps (or ``--memory-timeout`` seconds pass), and the kernel's resident memory is read
every 2,000 steps (``psutil`` in the kernel, through ``jh.kernel_eval``): memory with the page attached, the
widget messages included. ``bench_widgets_playground.py --memory`` measures it without a page.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the harness that the browser tests use

import jupyter_harness as jh  # noqa: E402

# A bare one-trace FigureWidget, played as the Playground plays: the page asks, the kernel updates the trace.
FLOOR_CODE = """\
import anywidget, traitlets
import numpy as np
import plotly.graph_objects as go

x = np.linspace(0.0, 1.0, 200)
fig = go.FigureWidget(go.Figure(go.Scatter(x=x, y=np.sin(2 * np.pi * x), mode="lines"), layout=dict(height=300)))


class Pacer(anywidget.AnyWidget):
    _esm = '''
    function render({ model, el }) {
      const b = document.createElement("button"); b.textContent = "▶ play"; b.className = "bpx-floor-play";
      el.append(b);
      b.onclick = () => {
        model.set("playing", true); model.save_changes();
        for (let i = 0; i < 3; i++) model.send({});
      };
      model.on("change:n", () => { if (model.get("playing")) model.send({}); });
      const s = document.createElement("span"); s.className = "bpx-floor-steps"; el.append(s);
      model.on("change:n", () => { s.textContent = `step ${model.get("n")}`; });
    }
    export default { render };
    '''
    n = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)


pacer = Pacer()


def _on_ask(_w, _c, _b):
    if pacer.playing:
        k = pacer.n + 1
        with fig.batch_update():
            fig.data[0].y = np.sin(2 * np.pi * (1 + k / 100) * x)
        pacer.n = k


pacer.on_msg(_on_ask)
import ipywidgets as W
W.VBox([pacer, fig])
"""

AFTER_CODE = "from explainer.widgets import Playground\napp = Playground(preset='spiral')\napp"

# The Playground of another checkout (its own Play widget; preset "spiral" had 200 points then, the 2-8-8-1 network
# is asked for here so the cases compare the same network and data size).
BEFORE_CODE = """\
import sys
sys.path.insert(0, {root!r})
from explainer.widgets import Playground
app = Playground("spiral", hidden="8, 8", optimizer="adam", lr=0.03, n_samples=500, noise=0.0)
app
"""

# In the page: counts frames for `seconds`, and (by kind) the frames in which the picture changed, and reads the
# step count shown at the start and the end.
MEASURE_JS = """
([kind, seconds]) => new Promise((resolve) => {
  const out = document.querySelector('.jp-OutputArea-output:has(.bpx-pg), .jp-OutputArea-output:has(.js-plotly-plot)');
  const stepText = () => {
    const el = kind === 'playground' ? document.querySelector('.bpx-pg-status')
             : kind === 'floor' ? document.querySelector('.bpx-floor-steps')
             : (document.querySelector('.bpx-loss') || {}).parentElement;
    const m = el && el.textContent.match(/step ([\\d,]+)/);
    return m ? parseInt(m[1].replace(/,/g, '')) : (el && /epoch ([\\d,]+)/.test(el.textContent)
      ? parseInt(el.textContent.match(/epoch ([\\d,]+)/)[1].replace(/,/g, '')) : 0);
  };
  let changed = false;
  const observer = new MutationObserver(() => { changed = true; });
  const stage = document.querySelector('.bpx-pg-stage');
  if (kind !== 'playground') {
    for (const g of out.querySelectorAll('.js-plotly-plot')) {
      observer.observe(g, {subtree: true, attributes: true, childList: true, characterData: true});
    }
  }
  let last = stage ? stage.dataset.revision : null, frames = 0, drawn = 0;
  const s0 = stepText(), t0 = performance.now();
  function loop() {
    frames++;
    if (kind === 'playground') {
      if (stage.dataset.revision !== last) { drawn++; last = stage.dataset.revision; }
    } else if (changed) { drawn++; changed = false; }
    if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(loop);
    else { observer.disconnect(); resolve({frames, drawn, s0, s1: stepText(), ms: performance.now() - t0}); }
  }
  requestAnimationFrame(loop);
})
"""


class Session:
    """One Chromium and one JupyterLab (serving a throw-away folder of the cases' notebooks) for the whole run."""

    def __init__(self) -> None:
        import shutil
        import tempfile

        from playwright.sync_api import sync_playwright

        self._rmtree = shutil.rmtree
        self.tmp = Path(tempfile.mkdtemp(prefix="bpx-bench-playground-"))
        self._pw = sync_playwright().start()
        self.browser = jh.launch_browser(self._pw)
        self.server = jh.start_lab(self.tmp)

    def notebook(self, code: str, name: str) -> str:
        import nbformat

        nb = nbformat.v4.new_notebook(
            metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}}
        )
        nb.cells = [nbformat.v4.new_code_cell(code)]
        filename = f"case_{abs(hash((name, code))) % 10**8}.ipynb"
        nbformat.write(nb, self.tmp / filename)
        return filename

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()
        self.browser.close()
        self._pw.stop()
        self._rmtree(self.tmp, ignore_errors=True)


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


@dataclass
class Row:
    name: str
    drawn_per_s: float
    steps_per_s: float
    bytes_per_s: float
    fps: float
    memory: list  # [(steps shown, kernel resident MB, seconds)] with --memory-steps


STEPS_SHOWN = """(kind) => {
  const el = kind === 'playground' ? document.querySelector('.bpx-pg-status')
           : (document.querySelector('.bpx-loss') || {}).parentElement;
  const m = el && (el.textContent.match(/step ([\\d,]+)/) || el.textContent.match(/epoch ([\\d,]+) ·/));
  return m ? parseInt(m[1].replace(/,/g, '')) : 0;  // full batch: one step an epoch, the status says "epoch"
}"""
RSS = "__import__('psutil').Process().memory_info().rss"


def memory_while_playing(page, kind: str, target: int, timeout: float) -> list:
    """(steps shown, kernel resident MB, seconds) every 2,000 steps while it plays on, up to ``target`` steps."""
    out, mark, t0 = [], 0, time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        steps = page.evaluate(STEPS_SHOWN, kind)
        if steps >= mark:
            out.append((steps, jh.kernel_eval(page, RSS) / 2**20, time.perf_counter() - t0))
            mark = (steps // 2000 + 1) * 2000
        if steps >= target:
            break
        time.sleep(0.5)
    return out


def play(page, kind: str) -> None:
    if kind == "playground":
        jh.click_button(page, "▶ play")
    elif kind == "floor":
        page.locator(".bpx-floor-play").click()
    else:
        jh.press_play(page)


def measure(session: Session, name: str, code: str, kind: str, seconds: float, memory_steps: int = 0,
            memory_timeout: float = 600.0) -> Row:  # fmt: skip
    page = jh.new_page(session.browser)
    received = [0]

    def on_socket(ws):
        ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

    page.on("websocket", on_socket)
    try:
        jh.open_notebook(page, session.server, session.notebook(code, name))
        jh.run_all_cells(page)
        jh.assert_no_errors(page)
        selector = {"playground": ".bpx-pg-stage canvas", "floor": ".bpx-floor-play"}.get(kind, ".widget-play")
        page.wait_for_selector(selector, timeout=120_000)
        time.sleep(2.0)
        play(page, kind)
        time.sleep(1.0)  # warm-up: the first ticks, plotly's first redraws
        before = received[0]
        r = page.evaluate(MEASURE_JS, [kind, seconds])
        sent = received[0] - before
        memory = (
            memory_while_playing(page, kind, memory_steps, memory_timeout) if memory_steps and kind != "floor" else []
        )
        jh.assert_no_errors(page)
        secs = r["ms"] / 1000
        return Row(name, r["drawn"] / secs, (r["s1"] - r["s0"]) / secs, sent / secs, r["frames"] / secs, memory)
    finally:
        page.context.close()
        session.server.shutdown_kernels()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds a case (default 10)")
    parser.add_argument("--before", help="the root of another checkout, to measure its Playground too")
    parser.add_argument("--memory-steps", type=int, default=0, help="play on to this many steps, reading memory")
    parser.add_argument("--memory-timeout", type=float, default=600.0, help="seconds a memory run may take")
    args = parser.parse_args(argv)
    if not jh.CHROMIUM.exists():
        print(jh.MISSING_CHROMIUM, file=sys.stderr)
        return 1
    cases = [("bare FigureWidget, 1 trace (floor)", FLOOR_CODE, "floor"),
             ("Playground, Spiral preset (2-8-8-1, 500 points)", AFTER_CODE, "playground")]  # fmt: skip
    if args.before:
        cases.append((f"Playground at {Path(args.before).name} (2-8-8-1, 500 points)",
                      BEFORE_CODE.format(root=str(Path(args.before).resolve())), "before"))  # fmt: skip
    load = _load()
    cores = os.cpu_count() or 1
    start = time.perf_counter()
    with Session() as session:
        rows = [measure(session, name, code, kind, args.seconds, args.memory_steps, args.memory_timeout)
                for name, code, kind in cases]  # fmt: skip
    print(f"{cores} cores, load average {load:.1f} before the run; {args.seconds:g} s measured a case while playing")
    if load > 0.75 * cores:
        print(f"WARNING: other work is running (load {load:.1f} on {cores} cores): these figures are pessimistic")
    head = ["case", "drawn updates/s", "steps/s shown", "kB/s to the page", "frames/s"]
    table = [[r.name, f"{r.drawn_per_s:.1f}", f"{r.steps_per_s:.0f}", f"{r.bytes_per_s / 1e3:.0f}", f"{r.fps:.0f}"]
             for r in rows]  # fmt: skip
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *table]:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    for r in rows:
        if r.memory:
            print(f"kernel memory while {r.name} plays:")
            for steps, mb, secs in r.memory:
                print(f"    step {steps:>6,}   resident {mb:6.0f} MB   {secs:5.0f} s")
    print(f"({time.perf_counter() - start:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
