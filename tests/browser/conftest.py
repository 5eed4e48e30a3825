"""Fixtures for the real-browser tests: Chromium, JupyterLab and Voilà servers, a checked page.

- ``browser``: one headless Debian Chromium for the session (fails, never skips, when it is missing).
- ``lab_server(root_dir)``: a JupyterLab server serving ``root_dir``, started once per session and folder.
  ``lab`` is the one for the repo root; ``fixture_lab`` serves a throw-away copy of ``fixtures/``.
- ``voila_server(notebook)``: a Voilà server for one notebook, started once per session and notebook.
- ``page``: a fresh browser context and page per test. The test fails if the page logged a console
  error or threw an uncaught error that ``console`` does not allow (``console.allow(regex)`` for a test
  that provokes one). A failing test leaves ``artifacts/screenshots/FAILED-<test>.png``; after each
  test every lab kernel is shut down so kernels do not pile up.

Every test under tests/browser gets the ``browser`` marker and a bounded timeout (pytest-timeout).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under --import-mode=importlib

import jupyter_harness as jh

BROWSER_TEST_TIMEOUT = 300  # seconds per test: a cold lab start plus a notebook run fit well inside

_HERE = Path(__file__).resolve().parent
_RUNNING: list[jh.Server] = []


@contextlib.contextmanager
def _one_server_per_path(start: Callable[[Path], jh.Server]):
    """``server_for(path) -> Server``: ``start(path)`` once per resolved path, every server stopped at the end."""
    servers: dict[Path, jh.Server] = {}

    def server_for(path: Path | str) -> jh.Server:
        key = Path(path).resolve()
        if key not in servers:
            servers[key] = start(key)
            _RUNNING.append(servers[key])
        return servers[key]

    try:
        yield server_for
    finally:
        for server in servers.values():
            server.stop()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium against JupyterLab/Voila servers (slow, needs chromium)"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # Fail the test itself (not its teardown) when the page logged errors it did not expect.
    result = yield
    console = item.funcargs.get("console") if hasattr(item, "funcargs") else None
    if isinstance(console, jh.ConsoleLog) and "page" in item.funcargs:
        unexpected = console.unexpected()
        if unexpected:
            raise AssertionError("unexpected browser console errors:\n" + "\n".join(unexpected))
    return result


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    """Headless Debian Chromium, shared by the session."""
    if not jh.CHROMIUM.exists():
        pytest.fail(jh.MISSING_CHROMIUM, pytrace=False)
    browser = jh.launch_browser(_playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def lab_server():
    """Factory: ``lab_server(root_dir) -> Server``, one JupyterLab per folder for the whole session."""
    with _one_server_per_path(jh.start_lab) as server_for:
        yield lambda root_dir=jh.REPO_ROOT: server_for(root_dir)


@pytest.fixture(scope="session")
def lab(lab_server):
    """JupyterLab serving the repo root (for notebooks/*.ipynb)."""
    return lab_server(jh.REPO_ROOT)


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory):
    """A throw-away copy of tests/browser/fixtures, so runs never touch the committed notebooks."""
    target = tmp_path_factory.mktemp("browser-fixtures") / "fixtures"
    shutil.copytree(jh.FIXTURES, target)
    return target


@pytest.fixture(scope="session")
def fixture_lab(lab_server, fixture_dir):
    """JupyterLab serving the copy of the fixture notebooks."""
    return lab_server(fixture_dir)


@pytest.fixture(scope="session")
def voila_server():
    """Factory: ``voila_server(notebook_path) -> Server``, one Voilà per notebook for the whole session."""
    with _one_server_per_path(jh.start_voila) as server_for:
        yield server_for


@pytest.fixture
def console():
    """The console errors of this test's page, with ``allow(regex)`` for errors a test expects."""
    return jh.ConsoleLog()


@pytest.fixture
def page(browser, console, request):
    """A fresh page in its own browser context; console errors checked after the test."""
    page = jh.new_page(browser)
    context = page.context
    console.attach(page)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            jh.screenshot(page, f"FAILED-{request.node.name}")
        except Exception:  # a crashed page cannot be photographed; the failure itself is reported
            pass
    context.close()
    for server in _RUNNING:
        server.shutdown_kernels()
