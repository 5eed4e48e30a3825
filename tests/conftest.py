"""Shared pytest set-up for the whole suite (markers and limits live in pyproject.toml [tool.pytest.ini_options]).

Markers: ``browser`` (Playwright driving Debian Chromium at /usr/bin/chromium; tests/browser marks its tests
itself) and ``slow`` (builds a virtual environment or runs whole notebooks). Both run under ``make test``;
``make test PYTEST_ARGS='-m "not slow"'`` leaves the slow ones out while iterating.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]


def _chromium_version() -> str:
    if not CHROMIUM.exists():
        return f"missing at {CHROMIUM} (make test installs it)"
    try:
        out = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{CHROMIUM} does not answer --version: {err}"
    return out.stdout.strip() or out.stderr.strip()


def pytest_report_header(config):
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    return [
        f"python: {sys.executable} ({sys.version.split()[0]})",
        f"chromium: {_chromium_version()}",
        f"notebooks/: {len(notebooks)} notebook(s)",
    ]
