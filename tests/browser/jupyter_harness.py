"""Drive real JupyterLab and Voilà servers from a real Chromium, for the browser tests and benchmarks.

Plain functions and two small classes, no pytest here, so that ``benchmarks/bench_browser.py`` can
reuse them. ``conftest.py`` wraps them in fixtures.

The flow a test follows::

    server = start_lab(root_dir)                  # jupyter lab on 127.0.0.1:<free port>, random token
    open_notebook(page, server, "notebooks/x.ipynb")   # waits for window.jupyterapp and an idle kernel
    run_all_cells(page)                           # notebook:run-all-cells, waits until every cell ran
    assert_no_errors(page)                        # tracebacks in outputs, kernel error messages, cells not run
    assert not widget_problems(page)              # widgets that fell back to text or never loaded
    server.stop()                                 # kernels shut down, process group gone

Why the module is called ``jupyter_harness`` and not ``jupyter``: the test directory is put on
``sys.path`` and a ``jupyter.py`` there would shadow the real ``jupyter`` module of jupyter_core.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = REPO_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download its own browsers here; Debian's chromium is launched instead. The flags
# keep it from phoning home and from needing a sandbox (CI runs as root) or a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing: the browser tests need Debian's chromium. Run `make test` (it installs it), "
    "or `apt-get install -y chromium`."
)
VIEWPORT = {"width": 1400, "height": 1000}

# Console messages that are noise, not defects. Each entry is a regular expression searched in the text;
# keep the list short and say why each one is harmless.
CONSOLE_ALLOW = [
    # Chromium asks for /favicon.ico on every origin; Voilà has none.
    r"Failed to load resource: the server responded with a status of 404 .*favicon",
    # Voilà loads every installed lab extension, also those that only make sense inside JupyterLab: the
    # jupyterlab-fonts plugins want Lab's main menu, jupyterlab-slideshow wants its document manager. Both
    # fail to activate and nothing on the page depends on them.
    r"Plugin '@deathbeds/jupyterlab-font[\w:-]*' failed to activate\. TypeError: No provider for: @jupyterlab/mainmenu",
    r"(?s)Shared module @jupyterlab/docmanager doesn't exist in shared scope default.*jupyterlab-slideshow",
    # jupyterlab-plotly's renderer for a still go.Figure stores a PNG copy into the output model after
    # drawing (model.setData); Voilà's output models have no setData. The figure itself is drawn.
    r"^pageerror: \w+\.setData is not a function \(at [^)]*jupyterlab-plotly",
]

# Pages never reach the internet: a notebook that needs it would break in an offline lecture room. The one
# remote file the stack asks for (Voilà's template links Font Awesome from a CDN, for widget icons) is
# answered with an empty stylesheet; any other remote request is aborted and shows up as a console error.
_LOCAL_URL = re.compile(r"^(?:https?|wss?)://(?:127\.0\.0\.1|localhost)(?::\d+)?/|^(?:about|data|blob):")
_STUB_URLS = {re.compile(r"^https://cdn\.jsdelivr\.net/npm/@fortawesome/"): ("text/css", "")}

# Text a widget leaves behind when it did not render: the fallback repr, the loading placeholder, or
# the widget manager's error.
_WIDGET_REPR = re.compile(
    r"^\s*(?:[A-Z]\w*)?(?:Slider|Widget|Box|Explorer|Playground|Dropdown|Button|ToggleButtons|Checkbox|Text|"
    r"Textarea|Output|Tab|Accordion|Label|HTML|Play|Select|SelectMultiple|RadioButtons|Image|GridspecLayout)"
    r"\((?:\w+=|\{|\))"
)
_WIDGET_FAILURE_TEXT = ("Loading widget...", "Error displaying widget", "Error rendering widget", "Model not found")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """Return ``text`` without terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)


def require_chromium() -> Path:
    """Return the Chromium path, or raise RuntimeError telling how to install it."""
    if not CHROMIUM.exists():
        raise RuntimeError(MISSING_CHROMIUM)
    return CHROMIUM


def launch_browser(playwright):
    """Launch Debian's Chromium headless through Playwright (``playwright.chromium``)."""
    return playwright.chromium.launch(executable_path=str(require_chromium()), args=CHROMIUM_ARGS, headless=True)


def new_page(browser):
    """A page in a fresh context: fixed viewport, 60 s default timeout, no internet (see ``_LOCAL_URL``)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)

    def route(route):
        url = route.request.url
        if _LOCAL_URL.match(url):
            return route.continue_()
        for pattern, (content_type, body) in _STUB_URLS.items():
            if pattern.match(url):
                return route.fulfill(status=200, content_type=content_type, body=body)
        return route.abort()

    context.route("**/*", route)
    return context.new_page()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------

# User settings written into the throw-away settings directory of every lab server.
LAB_SETTINGS = {
    # No news / update pop-up over the notebook.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    # Never write the executed notebook back into the repository.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Attach every cell to the DOM, so that checks on outputs see the cells below the fold too.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


@dataclass
class Server:
    """A running ``jupyter lab`` or ``voila`` process on 127.0.0.1, owned by this Python process."""

    kind: str  # "lab" or "voila"
    port: int
    token: str
    root_dir: Path
    process: subprocess.Popen
    tmp_dir: Path
    log_path: Path
    notebook: Path | None = None  # voila only: the notebook it serves
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def page_url(self, path: str = "", **query: str) -> str:
        """URL of ``path`` under the server with the token (and ``query``) in the query string."""
        params = urllib.parse.urlencode({"token": self.token, **query})
        return f"{self.url}{path}?{params}"

    def log(self) -> str:
        """The server's combined stdout/stderr so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def api(self, method: str, path: str, timeout: float = 10.0):
        """Call the Jupyter REST API (``path`` like ``api/sessions``); return the decoded JSON or None."""
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of a lab server (between tests, so kernels do not pile up on 2 cores)."""
        if self.kind != "lab" or self.process.poll() is not None:
            return
        try:
            for session in self.api("GET", "api/sessions"):
                self.api("DELETE", f"api/sessions/{session['id']}")
            for kernel in self.api("GET", "api/kernels"):
                self.api("DELETE", f"api/kernels/{kernel['id']}")
        except (urllib.error.URLError, OSError):
            pass  # the server is going away anyway; stop() kills what is left

    def stop(self, timeout: float = 15.0) -> None:
        """Shut the kernels down, terminate the server, and kill anything it left behind."""
        if self._stopped:
            return
        # Kernels live in their own sessions (jupyter_client starts them with start_new_session), so
        # killing the server's process group would orphan them: remember every descendant first.
        try:
            import psutil

            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except Exception:  # psutil missing or the process already gone
            descendants = []
        self.shutdown_kernels()
        self._stopped = True
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        for child in descendants:
            try:
                child.kill()
            except Exception:  # already exited, which is the normal case
                pass
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _jupyter_env(tmp_dir: Path) -> dict[str, str]:
    """Environment for a server: throw-away Jupyter dirs, the venv first on PATH, the repo importable.

    The kernel inherits it: ``python`` in the native kernelspec resolves to this interpreter (jupyter_client
    replaces a bare ``python`` with ``sys.executable``), and ``import explainer`` works from any
    notebook folder because the repo root is on PYTHONPATH.
    """
    env = dict(os.environ)
    for name in ("config", "data", "runtime", "ipython"):
        (tmp_dir / name).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_CONFIG_DIR"] = str(tmp_dir / "config")
    env["JUPYTER_DATA_DIR"] = str(tmp_dir / "data")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_dir / "runtime")
    env["IPYTHONDIR"] = str(tmp_dir / "ipython")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_TOKEN", None)
    return env


def _wait_until_up(server: Server, probe: str, timeout: float) -> Server:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            server.stop()
            raise RuntimeError(f"{server.kind} server exited with {server.process.returncode}:\n{server.log()[-4000:]}")
        try:
            with urllib.request.urlopen(server.page_url(probe), timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    log = server.log()
    server.stop()
    raise RuntimeError(f"{server.kind} server did not answer {probe} within {timeout:.0f} s:\n{log[-4000:]}")


def start_lab(root_dir: Path | str = REPO_ROOT, timeout: float = 90.0) -> Server:
    """Start ``jupyter lab`` serving ``root_dir`` and return once ``/api/status`` answers.

    Throw-away settings (no news pop-up, no autosave, no windowing), workspaces and Jupyter dirs;
    ``window.jupyterapp`` exposed so tests can drive the app's commands.
    """
    root_dir = Path(root_dir).resolve()
    tmp_dir = Path(tempfile.mkdtemp(prefix="bpx-lab-"))
    env = _jupyter_env(tmp_dir)
    settings_dir = tmp_dir / "settings"
    for plugin, values in LAB_SETTINGS.items():
        target = settings_dir / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    workspaces_dir = tmp_dir / "workspaces"
    workspaces_dir.mkdir()
    # news_url=None can only be said in a config file (the command line would give the string "None").
    (tmp_dir / "config" / "jupyter_lab_config.py").write_text("c.LabApp.news_url = None\n")
    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp_dir / "server.log"
    cmd = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={settings_dir}",
        f"--LabApp.workspaces_dir={workspaces_dir}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--KernelSpecManager.ensure_native_kernel=True",
        # Opening a notebook writes a checkpoint; keep it out of the served folder.
        f"--FileCheckpoints.checkpoint_dir={tmp_dir / 'checkpoints'}",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server("lab", port, token, root_dir, process, tmp_dir, log_path)
    return _wait_until_up(server, "api/status", timeout)


def start_voila(notebook: Path | str, timeout: float = 90.0) -> Server:
    """Start ``voila NOTEBOOK`` (tracebacks shown) and return once its static files answer."""
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise ValueError(f"notebook must be an existing .ipynb file, got {notebook}")
    tmp_dir = Path(tempfile.mkdtemp(prefix="bpx-voila-"))
    env = _jupyter_env(tmp_dir)
    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp_dir / "server.log"
    cmd = [
        sys.executable, "-m", "voila", str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        f"--token={token}",
        "--show_tracebacks=True",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            cmd, cwd=notebook.parent, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server("voila", port, token, notebook.parent, process, tmp_dir, log_path, notebook=notebook)
    # Polling "/" would execute the notebook in a fresh kernel each time; a static file is free.
    return _wait_until_up(server, "voila/static/voila.js", timeout)


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------


class ConsoleLog:
    """Console errors and uncaught page errors of one page, minus an allow-list.

    ``allow(pattern)`` adds a regular expression for one test (for a test that provokes errors on purpose).
    """

    def __init__(self, allow: list[str] | None = None) -> None:
        self.messages: list[str] = []
        self._allow = [re.compile(p) for p in (CONSOLE_ALLOW if allow is None else allow)]

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)

    def _on_pageerror(self, error) -> None:
        # The first stack frame says which bundle threw, which the allow-list needs.
        frames = [line.strip()[3:] for line in (error.stack or "").splitlines() if line.strip().startswith("at ")]
        where = f" (at {frames[0]})" if frames else ""
        self.messages.append(f"pageerror: {error.message}{where}")

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location.get("url") else ""
            self.messages.append(f"console.error: {message.text}{where}")

    def allow(self, pattern: str) -> None:
        self._allow.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(p.search(m) for p in self._allow)]


# Installed in the page once a notebook is open: records every error message the kernel broadcasts,
# including those of widget callbacks, which JupyterLab sends to its log console rather than to a cell.
_WATCH_KERNEL_JS = """
() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const log = (window.__bpxKernelErrors = window.__bpxKernelErrors || []);
  const watch = (kernel) => {
    if (!kernel || kernel.__bpxWatched) return;
    kernel.__bpxWatched = true;
    kernel.iopubMessage.connect((_, msg) => {
      const type = msg.header.msg_type, c = msg.content, parent = (msg.parent_header || {}).msg_type || '';
      if (type === 'error') {
        log.push({kind: 'error', parent, text: (c.traceback || []).join('\\n') || `${c.ename}: ${c.evalue}`});
      } else if (type === 'stream' && c.name === 'stderr' && /Traceback|Error:/.test(c.text)) {
        log.push({kind: 'stderr', parent, text: c.text});
      }
    });
  };
  watch(panel.sessionContext.session && panel.sessionContext.session.kernel);
  panel.sessionContext.kernelChanged.connect((_, change) => watch(change.newValue));
}
"""


def open_notebook(page, server: Server, path: str, timeout: float = 90.0) -> None:
    """Open ``path`` (relative to the server's root) in JupyterLab and wait for an idle kernel.

    Uses ``?reset`` so that no earlier workspace is restored, collapses the left sidebar to give the
    notebook the width, and starts recording the kernel's error messages (see ``kernel_errors``).
    """
    if server.kind != "lab":
        raise ValueError(f"server must be a lab server for open_notebook, got a {server.kind} server")
    if not (server.root_dir / path).is_file():
        raise ValueError(f"path must be a notebook under {server.root_dir}, got {path!r}")
    url = f"{server.url}lab/tree/{urllib.parse.quote(path)}?token={server.token}&reset"
    page.goto(url, timeout=timeout * 1000)
    page.wait_for_function(
        """(path) => {
          const app = window.jupyterapp;
          const panel = app && app.shell && app.shell.currentWidget;
          if (!panel || !panel.context || panel.context.path !== path || !panel.sessionContext) return false;
          const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
          return !!kernel && kernel.status === 'idle' && panel.content.widgets.length > 0;
        }""",
        arg=path,
        timeout=timeout * 1000,
    )
    page.evaluate(_WATCH_KERNEL_JS)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")


def run_all_cells(page, timeout: float = 180.0) -> dict:
    """Run every cell (``notebook:run-all-cells``) and wait until the run is over.

    Over means: the command's promise resolved (JupyterLab resolves it once each cell's execute reply
    came back, or once a cell failed and the rest were cancelled), the kernel is idle again, and no
    prompt shows ``[*]``. Then waits (a bounded while) for widget placeholders to be replaced.
    Returns ``{"ok": bool, "cells": n_code_cells, "executed": n_with_execution_count}``.
    """
    page.evaluate(
        """() => {
          const state = (window.__bpxRun = {done: false, ok: null, error: null, sawBusy: false});
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          kernel.statusChanged.connect((_, status) => { if (status === 'busy') state.sawBusy = true; });
          window.jupyterapp.commands.execute('notebook:run-all-cells').then(
            (ok) => { state.done = true; state.ok = ok; },
            (error) => { state.done = true; state.ok = false; state.error = String(error); });
        }"""
    )
    page.wait_for_function(
        """() => {
          const state = window.__bpxRun, panel = window.jupyterapp.shell.currentWidget;
          if (!state.done) return false;
          const kernel = panel.sessionContext.session.kernel;
          if (!kernel || kernel.status !== 'idle') return false;
          const prompts = panel.node.querySelectorAll('.jp-InputArea-prompt');
          return !Array.from(prompts).some((p) => p.textContent.includes('*'));
        }""",
        timeout=timeout * 1000,
        polling=100,
    )
    wait_for_widgets(page)
    state = page.evaluate(
        """() => {
          const cells = window.jupyterapp.shell.currentWidget.content.widgets.filter((c) => c.model.type === 'code');
          return {ok: window.__bpxRun.ok !== false && !window.__bpxRun.error, cells: cells.length,
                  executed: cells.filter((c) => c.model.executionCount !== null).length,
                  error: window.__bpxRun.error};
        }"""
    )
    return state


def wait_for_widgets(page, timeout: float = 30.0, quiet_ms: int = 750) -> bool:
    """Wait until the widgets have settled: no output shows a widget-loading placeholder, every plotly graph
    and every Diagram (``.bpx-diagram``) is drawn, and the number of widgets and figures has not changed for
    ``quiet_ms`` (a FigureWidget's view is attached a moment after its box, later still on a busy machine).
    False if not settled at ``timeout``; ``widget_problems`` and ``empty_plots`` then say what is missing."""
    try:
        page.wait_for_function(
            """([needle, quietMs]) => {
              const outputs = Array.from(document.querySelectorAll('.jp-OutputArea-output'));
              if (outputs.some((o) => o.textContent.includes(needle))) return false;
              const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
              if (graphs.some((gd) => !gd._fullData)) return false;
              const diagrams = Array.from(document.querySelectorAll('.bpx-diagram'));
              if (diagrams.some((root) => !root.querySelector('g[data-part] text'))) return false;
              const signature = [document.querySelectorAll('.jupyter-widgets').length, graphs.length,
                                 diagrams.length].join('/');
              const now = performance.now(), seen = window.__bpxWidgetSignature;
              if (!seen || seen.signature !== signature) {
                window.__bpxWidgetSignature = {signature, since: now};
                return false;
              }
              return now - seen.since >= quietMs;
            }""",
            arg=[_WIDGET_FAILURE_TEXT[0], quiet_ms],
            timeout=timeout * 1000,
            polling=100,
        )
        return True
    except Exception as error:  # playwright TimeoutError: widget_problems will report the placeholders
        if "Timeout" not in type(error).__name__:
            raise
        return False


def kernel_errors(page) -> list[str]:
    """Error messages the notebook's kernel broadcast since ``open_notebook`` (cells and widget callbacks)."""
    entries = page.evaluate("() => window.__bpxKernelErrors || []")
    messages = []
    for entry in entries:
        # Widget-callback tracebacks run 40 lines deep into ipywidgets/traitlets; the tail says what broke.
        lines = strip_ansi(entry["text"]).splitlines()
        text = "\n".join(lines if len(lines) <= 25 else ["...", *lines[-25:]])
        messages.append(f"kernel {entry['kind']} (from {entry['parent'] or '?'}):\n{text}")
    return messages


def notebook_errors(page) -> list[str]:
    """Every error visible in the page: error and traceback outputs, code cells left unexecuted after a
    run, and error messages from the kernel (which include widget-callback exceptions).

    Works on a JupyterLab page (reads the notebook model, then the DOM) and on a Voilà page (DOM only).
    """
    found = page.evaluate(
        """() => {
          const out = [];
          const app = window.jupyterapp;
          const panel = app && app.shell && app.shell.currentWidget;
          if (panel && panel.content && panel.content.widgets) {
            panel.content.widgets.forEach((cell, i) => {
              if (cell.model.type !== 'code') return;
              const outputs = cell.model.outputs;
              for (let k = 0; k < outputs.length; k++) {
                const o = outputs.get(k).toJSON();
                if (o.output_type === 'error') {
                  out.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}\\n${(o.traceback || []).join('\\n')}`);
                } else if (o.output_type === 'stream' && o.name === 'stderr') {
                  const text = Array.isArray(o.text) ? o.text.join('') : String(o.text);
                  if (/Traceback/.test(text)) out.push(`cell ${i + 1} (stderr): ${text}`);
                }
              }
              const source = cell.model.sharedModel.getSource().trim();
              if (window.__bpxRun && source && cell.model.executionCount === null) {
                out.push(`cell ${i + 1}: not executed by run-all (an earlier cell failed or the run was cut short)`);
              }
            });
          }
          // The DOM, for Voilà and for anything the model walk could not see. JupyterLab renders both
          // stderr streams and error outputs as text with the stderr mime type.
          const selectors = ['.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]',
                             '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'];
          document.querySelectorAll(selectors.join(',')).forEach((node) => {
            const text = node.textContent || '';
            const lastLine = text.trim().split('\\n').pop().trim();
            if (/Traceback|Error/.test(text) && !out.some((e) => e.includes(lastLine))) out.push(`output: ${text}`);
          });
          return out;
        }"""
    )
    errors = [strip_ansi(e) for e in found]
    if page.evaluate("() => !!window.__bpxKernelErrors"):
        seen = "\n".join(errors)
        for message in kernel_errors(page):
            # A cell's error is both an output and a kernel message; report it once.
            first_line = message.splitlines()[-1] if message.strip() else message
            if first_line and first_line in seen:
                continue
            errors.append(message)
    return errors


def assert_no_errors(page) -> None:
    """Fail (AssertionError) listing every error ``notebook_errors`` finds."""
    errors = notebook_errors(page)
    assert not errors, "errors in the notebook:\n\n" + "\n\n".join(errors)


def widget_problems(page) -> list[str]:
    """Outputs where a widget did not render: a text repr such as ``IntSlider(value=1)`` in place of the
    widget, a widget view rendered as plain text, a 'Loading widget...' placeholder left, the widget
    manager's error message, or a Diagram (``.bpx-diagram``) that never drew a text. Empty list = every
    widget rendered."""
    found = page.evaluate(
        """(args) => {
          const [pattern, needles] = args, re = new RegExp(pattern), out = [];
          document.querySelectorAll('.jp-OutputArea-output').forEach((node) => {
            const text = (node.textContent || '').trim();
            for (const needle of needles) {
              if (text.includes(needle)) out.push(`widget failed to render: ${text.slice(0, 200)}`);
            }
          });
          document.querySelectorAll('.jp-RenderedText[data-mime-type="text/plain"]').forEach((node) => {
            const text = (node.textContent || '').trim();
            if (re.test(text)) out.push(`text repr instead of a widget: ${text.slice(0, 200)}`);
          });
          // A Diagram draws its texts as soon as its view renders: none means its scene never arrived.
          document.querySelectorAll('.bpx-diagram').forEach((root, i) => {
            if (!root.querySelector('g[data-part] text')) out.push(`diagram ${i} drew no text: no scene arrived`);
          });
          // JupyterLab: every output whose data offers a widget view must hold a rendered widget.
          const app = window.jupyterapp;
          const panel = app && app.shell && app.shell.currentWidget;
          if (panel && panel.content && panel.content.widgets) {
            panel.content.widgets.forEach((cell, i) => {
              if (cell.model.type !== 'code' || !cell.outputArea) return;
              const nodes = cell.outputArea.node.querySelectorAll('.jp-OutputArea-child > .jp-OutputArea-output');
              for (let k = 0; k < cell.model.outputs.length && k < nodes.length; k++) {
                const data = cell.model.outputs.get(k).data || {};
                if (!('application/vnd.jupyter.widget-view+json' in data)) continue;
                const node = nodes[k];
                const rendered = node.classList.contains('jupyter-widgets')
                  || !!node.querySelector('.jupyter-widgets, .js-plotly-plot, .bpx-diagram');
                const text = node.querySelector('.jp-RenderedText');
                if (!rendered || text) {
                  out.push(`cell ${i + 1}: widget view not rendered: ${(node.textContent || '').trim().slice(0, 200)}`);
                }
              }
            });
          }
          return out;
        }""",
        [_WIDGET_REPR.pattern, list(_WIDGET_FAILURE_TEXT)],
    )
    return list(dict.fromkeys(found))


def widget_reprs_rendered(page) -> bool:
    """True when every widget rendered as a widget (no text fallback, placeholder or error); see ``widget_problems``."""
    return not widget_problems(page)


def screenshot(page, name: str, selector: str | None = None) -> Path:
    """Save a screenshot to ``artifacts/screenshots/NAME.png`` and return the path.

    The visible page, or with ``selector`` just that element (scrolled into view first: the notebook
    scrolls inside its own panel, so a full-page shot would not show the cells below the fold).
    """
    safe = re.sub(r"[^\w.-]+", "_", name).strip("_") or "screenshot"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe}.png"
    if selector is None:
        page.screenshot(path=str(path))
    else:
        page.locator(selector).first.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------------------------------
# Plotly and slider helpers
# --------------------------------------------------------------------------------------------------


def plot_traces(page, index: int = 0) -> list[dict]:
    """The traces of the ``index``-th plotly graph on the page as plotly.js holds them after defaults
    (``gd._fullData``: typed arrays decoded), each as ``{"x": [...], "y": [...], "name": str}``."""
    return page.evaluate(
        """(index) => {
          const gd = document.querySelectorAll('.js-plotly-plot')[index];
          if (!gd || !gd._fullData) return null;
          const list = (v) => (v == null ? null : Array.from(v));
          return gd._fullData.map((t) => ({x: list(t.x), y: list(t.y), name: t.name || ''}));
        }""",
        index,
    )


def plot_titles(page) -> list[str]:
    """The titles of all plotly graphs on the page (SVG text: read with textContent, not innerText)."""
    return page.eval_on_selector_all(".js-plotly-plot .gtitle", "nodes => nodes.map(n => n.textContent)")


def slider_selector(label: str | None = None, index: int = 0) -> str:
    """Playwright selector of an ipywidgets 8 slider's handle: by its description ``label``, or the
    ``index``-th slider. The noUiSlider handle takes focus and moves one step per ArrowRight/ArrowLeft."""
    if label is not None:
        return f'.widget-slider:has(.widget-label:text-is("{label}")) .noUi-handle >> nth=0'
    return f".widget-slider .noUi-handle >> nth={index}"


def slider_readout(page, handle_selector: str) -> str:
    """The readout text next to a slider, from the selector of its handle: the slider's own, or the app's
    ``.bpx-readout`` beside it where the app prints the engine's exact value instead (BackpropExplorer)."""
    handle = page.locator(handle_selector)
    return handle.evaluate(
        """(h) => {
          const slider = h.closest('.widget-slider');
          const exact = slider.parentElement.querySelector('.bpx-readout');
          return (exact || slider.querySelector('.widget-readout')).textContent.trim();
        }"""
    )


def press_slider(page, handle_selector: str, key: str = "ArrowRight", times: int = 1) -> None:
    """Focus a slider handle and press ``key`` ``times`` times, as a keyboard user would."""
    handle = page.locator(handle_selector)
    handle.focus()
    for _ in range(times):
        page.keyboard.press(key)


def plot_index(page, title: str) -> int:
    """Index (in document order, as ``plot_traces`` counts) of the plotly graph whose title is ``title``."""
    index = page.evaluate(
        """(title) => Array.from(document.querySelectorAll('.js-plotly-plot')).findIndex(
             (gd) => { const t = gd.querySelector('.gtitle'); return !!t && t.textContent === title; })""",
        title,
    )
    if index < 0:
        titles = plot_titles(page)
        raise ValueError(f"title must be the title of a plotly graph on the page, got {title!r}; found {titles}")
    return index


def wait_for_trace_change(page, index: int, before: list | None, trace: int = 0, timeout: float = 30.0) -> list:
    """Wait until the y data of trace ``trace`` of graph ``index`` differs from ``before``; return the new y."""
    page.wait_for_function(
        """([index, trace, before]) => {
          const gd = document.querySelectorAll('.js-plotly-plot')[index];
          const t = gd && gd._fullData && gd._fullData[trace];
          return !!t && JSON.stringify(Array.from(t.y)) !== JSON.stringify(before);
        }""",
        arg=[index, trace, before],
        timeout=timeout * 1000,
        polling=50,
    )
    return plot_traces(page, index)[trace]["y"]


def click_button(page, description: str) -> None:
    """Click the ipywidgets Button whose text is ``description`` (a real click, like a mouse user's)."""
    pattern = re.compile(rf"^\s*{re.escape(description)}\s*$")
    page.locator("button.widget-button").filter(has_text=pattern).first.click()


def click_app_button(page, text: str) -> None:
    """Click an explainer app's button ``text`` (a dispatched click: the output prompt's overlay takes real ones)."""
    pattern = re.compile(rf"^\s*{re.escape(text)}\s*$")
    page.locator(".bpx-app button").filter(has_text=pattern).first.dispatch_event("click")


@contextmanager
def notebook_page(browser, server: Server, path: str):
    """A page at 1440×900 with ``path`` open and its console collected: (page, console), closed afterwards with
    the server's kernels (the shared page of a module's tests)."""
    page = new_page(browser)
    page.set_viewport_size({"width": 1440, "height": 900})
    console = ConsoleLog()
    console.attach(page)
    open_notebook(page, server, path)
    try:
        yield page, console
    finally:
        page.context.close()
        server.shutdown_kernels()


def select_option(page, description: str, option: str) -> None:
    """Choose ``option`` (its label) in the ipywidgets Dropdown labelled ``description``."""
    page.locator(f'.widget-dropdown:has(.widget-label:text-is("{description}")) select').first.select_option(
        label=option
    )


def lab_settings(page, plugin: str) -> dict:
    """The user settings JupyterLab loaded for a plugin (e.g. ``@jupyterlab/docmanager-extension:plugin``):
    what the server read from the settings directory, before schema defaults are merged in."""
    return page.evaluate("async (id) => (await window.jupyterapp.serviceManager.settings.fetch(id)).settings", plugin)


def empty_plots(page) -> list[str]:
    """Plotly graphs and Diagrams on the page that show no data: never drawn, no traces, no visible trace
    with a point, or (a Diagram, ``.bpx-diagram``) no point text drawn.

    A graph can be drawn with axes and a title and still be blank (the figure's data never reached the
    browser): ``widget_problems`` cannot see that, this can. Each entry names the graph or diagram by index
    and title.
    """
    return page.evaluate(
        """() => {
          const keys = ['x', 'y', 'z', 'values', 'r', 'a', 'b', 'lat', 'lon', 'u', 'ids'];
          const hasPoints = (t) => t.visible !== false && (typeof t.value === 'number' || keys.some((k) => {
            const v = t[k];
            return v != null && typeof v.length === 'number' && v.length > 0;
          }));
          const out = [];
          document.querySelectorAll('.js-plotly-plot').forEach((gd, i) => {
            const title = (gd.querySelector('.gtitle') || {}).textContent || '';
            const name = `graph ${i}${title ? ` '${title}'` : ''}`;
            if (!gd._fullData) out.push(`${name}: never drawn`);
            else if (gd._fullData.length === 0) out.push(`${name}: no traces`);
            else if (!gd._fullData.some(hasPoints)) out.push(`${name}: no visible trace has a point`);
          });
          // A Diagram (explainer/widgets/diagram.js) draws its scene's parts as <g data-part> groups.
          document.querySelectorAll('.bpx-diagram').forEach((root, i) => {
            const title = (root.querySelector('svg') || {getAttribute: () => ''}).getAttribute('aria-label') || '';
            const name = `diagram ${i}${title ? ` '${title.slice(0, 60)}'` : ''}`;
            if (!root.querySelector('g[data-part]')) out.push(`${name}: never drawn`);
            else if (!root.querySelector('g[data-part] text')) out.push(`${name}: no text drawn`);
          });
          return out;
        }"""
    )


# --------------------------------------------------------------------------------------------------
# App helpers (tests/browser/test_browser_apps.py, scripts/screenshots.py)
# --------------------------------------------------------------------------------------------------


def wait_for_plots(page, count: int = 1, timeout: float = 60.0) -> None:
    """Wait until at least ``count`` plotly graphs on the page are drawn and hold data.

    A FigureWidget's view appears a moment before its traces arrive (``gd._fullData`` is empty at first).
    """
    page.wait_for_function(
        """(count) => Array.from(document.querySelectorAll('.js-plotly-plot'))
             .filter((gd) => gd.querySelector('.main-svg') && gd._fullData && gd._fullData.length > 0)
             .length >= count""",
        arg=count,
        timeout=timeout * 1000,
        polling=100,
    )


def dispatch_click_button(page, description: str) -> None:
    """Click the ipywidgets Button whose text is ``description`` by dispatching the event.

    In JupyterLab the output prompt's overlay lies over the left edge of wide outputs and takes real
    pointer clicks; the dispatched event reaches the button as a click does.
    """
    pattern = re.compile(rf"^\s*{re.escape(description)}\s*$")
    page.locator("button.widget-button").filter(has_text=pattern).first.dispatch_event("click")


def press_play(page, index: int = 0, button: str = "play") -> None:
    """Press a button (``"play"``, ``"pause"`` or ``"stop"``: its Font Awesome icon) of the ``index``-th
    ipywidgets Play widget on the page (a dispatched click, see ``dispatch_click_button``)."""
    page.locator(".widget-play").nth(index).locator(f"button:has(.fa-{button})").first.dispatch_event("click")


def trace_data(page, index: int, name: str) -> dict | None:
    """``x``, ``y``, ``text`` and ``hovertext`` of the trace named ``name`` of the ``index``-th plotly graph,
    as plotly.js holds them (``gd._fullData``, typed arrays decoded); None if there is no such trace."""
    return page.evaluate(
        """([index, name]) => {
          const gd = document.querySelectorAll('.js-plotly-plot')[index];
          const t = gd && gd._fullData && gd._fullData.find((t) => t.name === name);
          if (!t) return null;
          const list = (v) => (v == null ? null : (typeof v === 'string' ? v : Array.from(v)));
          return {x: list(t.x), y: list(t.y), text: list(t.text), hovertext: list(t.hovertext)};
        }""",
        [index, name],
    )


def trace_texts(page, index: int, name: str) -> list[str]:
    """The texts plotly drew in the SVG for the trace named ``name`` of the ``index``-th graph, in point
    order, a multi-line text's lines joined by newlines. Points with an empty or blank text draw nothing
    and are left out, so this is what a reader sees, not what the data holds."""
    return page.evaluate(
        """([index, name]) => {
          const gd = document.querySelectorAll('.js-plotly-plot')[index];
          const groups = gd ? Array.from(gd.querySelectorAll('.scatterlayer .trace')) : [];
          const g = groups.find((g) => g.__data__ && g.__data__[0] && g.__data__[0].trace
                                       && g.__data__[0].trace.name === name);
          if (!g) return [];
          return Array.from(g.querySelectorAll('.textpoint text')).map((t) => {
            const lines = Array.from(t.querySelectorAll('tspan.line')).map((s) => s.textContent);
            return lines.length ? lines.join('\\n') : t.textContent;
          }).filter((s) => s.trim() !== '');
        }""",
        [index, name],
    )


# --------------------------------------------------------------------------------------------------
# Diagram helpers: explainer.widgets.diagram.Diagram puts a scene's SVG parts into the page (diagram.js)
# --------------------------------------------------------------------------------------------------
#
# Its DOM: div.bpx-diagram > svg.bpx-svg > g[data-part="<part id>"] > (the part's SVG: text, line, circle…);
# the focusable targets are [data-key] elements (class bpx-target); div.bpx-tooltip shows a hover text and
# div.bpx-live (aria-live) what a screen reader hears after a selection.


def wait_for_diagrams(page, count: int = 1, timeout: float = 60.0) -> None:
    """Wait until at least ``count`` Diagrams on the page have drawn their parts (a text at least)."""
    page.wait_for_function(
        """(count) => Array.from(document.querySelectorAll('.bpx-diagram'))
             .filter((root) => root.querySelector('g[data-part] text')).length >= count""",
        arg=count,
        timeout=timeout * 1000,
        polling=100,
    )


def diagram_texts(page, index: int = 0, part: str | None = None) -> list[str]:
    """The texts the ``index``-th Diagram drew, in drawing order (of one part, or of all), empty ones left out."""
    return page.evaluate(
        """([index, part]) => {
          const root = document.querySelectorAll('.bpx-diagram')[index];
          if (!root) return [];
          const scope = part === null ? root : root.querySelector(`g[data-part="${CSS.escape(part)}"]`);
          return scope ? Array.from(scope.querySelectorAll('text'), (t) => t.textContent).filter((s) => s.trim()) : [];
        }""",
        [index, part],
    )


def diagram_keys(page, index: int = 0) -> list[str]:
    """The keys of the ``index``-th Diagram's focusable targets, in document (Tab) order."""
    return page.evaluate(
        """(index) => Array.from(document.querySelectorAll('.bpx-diagram')[index].querySelectorAll('[data-key]'),
                                  (t) => t.getAttribute('data-key'))""",
        index,
    )


def diagram_target(page, key: str, index: int = 0):
    """The hover and click target (a Playwright locator) of ``key`` (``"W2[0,0]"``: w5) in the ``index``-th Diagram."""
    return page.locator(".bpx-diagram").nth(index).locator(f'[data-key="{key}"]').first


def diagram_tooltip(page, index: int = 0) -> str | None:
    """The text of the ``index``-th Diagram's tooltip (``<br>`` a newline), or None while it is hidden."""
    return page.evaluate(
        """(index) => {
          const root = document.querySelectorAll('.bpx-diagram')[index];
          const tip = root && root.querySelector('.bpx-tooltip');
          return tip && !tip.hidden ? tip.innerText : null;
        }""",
        index,
    )


def diagram_announcement(page, index: int = 0) -> str:
    """What the ``index``-th Diagram's aria-live region says now."""
    return page.locator(".bpx-diagram").nth(index).locator(".bpx-live").text_content()


# --------------------------------------------------------------------------------------------------
# Number rows (explainer.widgets.sliders.Sliders): div.bpx-row[data-key] > label, input[type=range], input.bpx-readout
# --------------------------------------------------------------------------------------------------


def row_range(page, key: str, index: int = 0):
    """The range input of row ``key`` (``"W1[0,0]"``, ``"x[0]"``, ``"lr"``) of the ``index``-th Sliders widget."""
    return page.locator(".bpx-sliders").nth(index).locator(f'.bpx-row[data-key="{key}"] input[type=range]')


def row_readout(page, key: str, index: int = 0) -> str:
    """The readout of row ``key``: the app's own value, as the page prints it."""
    return page.locator(".bpx-sliders").nth(index).locator(f'.bpx-row[data-key="{key}"] .bpx-readout').input_value()


def press_row(page, key: str, press: str = "ArrowRight", times: int = 1, index: int = 0) -> None:
    """Focus row ``key``'s slider and press a key ``times`` times, as a keyboard user would."""
    handle = row_range(page, key, index)
    handle.focus()
    for _ in range(times):
        page.keyboard.press(press)


def type_into_row(page, key: str, text: str, index: int = 0) -> None:
    """Type ``text`` into row ``key``'s readout and press Enter."""
    box = page.locator(".bpx-sliders").nth(index).locator(f'.bpx-row[data-key="{key}"] .bpx-readout')
    box.fill(text)
    box.press("Enter")


# --------------------------------------------------------------------------------------------------
# The kernel's side of a page: what the app holds, read without adding a cell
# --------------------------------------------------------------------------------------------------


def kernel_eval(page, expression: str, timeout: float = 60.0):
    """Evaluate ``expression`` in the current notebook's kernel and return its value (via JSON).

    Runs ``print(json.dumps(<expression>))`` as a silent execute request: no cell is added, no output shown,
    the execution count is not touched. Waits for the kernel (a busy kernel answers after its current work).
    """
    code = f"import json as _bpx_json\nprint(_bpx_json.dumps({expression}))"
    result = page.evaluate(
        """async ([code, timeout]) => {
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          const future = kernel.requestExecute({code, silent: false, store_history: false});
          let out = '', err = '';
          future.onIOPub = (msg) => {
            if (msg.header.msg_type === 'stream') out += msg.content.text;
            if (msg.header.msg_type === 'error') err = msg.content.ename + ': ' + msg.content.evalue;
          };
          const timer = new Promise((_, reject) => setTimeout(() => reject(new Error('kernel timeout')), timeout));
          await Promise.race([future.done, timer]);
          return {out, err};
        }""",
        [code, timeout * 1000],
    )
    if result["err"]:
        raise RuntimeError(f"the kernel could not evaluate {expression!r}: {result['err']}")
    return json.loads(result["out"].strip().splitlines()[-1])


def wait_until_equal(read, want, timeout: float, what: str) -> None:
    """Poll ``read()`` until it equals ``want``; AssertionError showing both after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    got = read()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.1)
        got = read()
    assert got == want, f"{what} did not show the expected value within {timeout:.0f} s:\n got  {got}\n want {want}"
