"""The Playground in a real JupyterLab and Chromium: ▶ trains, the step count grows and the loss shown falls.

(The BackpropExplorer and the LossSurfaceExplorer are walked through in test_journeys.py.)
"""

from __future__ import annotations

import re

import jupyter_harness as jh
import pytest


def _open_app(page, server, path: str, plots: int = 0) -> None:
    """Open and run an app's notebook; wait for ``plots`` plotly graphs with data."""
    jh.open_notebook(page, server, path)
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"], state
    jh.assert_no_errors(page)
    assert jh.widget_problems(page) == []
    try:
        jh.wait_for_plots(page, plots, timeout=120)
    except Exception as error:
        if "Timeout" not in type(error).__name__:
            raise
        raise AssertionError(f"{plots} graphs with data expected; problems: {jh.empty_plots(page)}") from None


# --------------------------------------------------------------------------------------------- Playground
def _playground_status(page) -> tuple[int, float]:
    """(steps done, train loss) from the Playground's status line ("step 1,230  train loss 0.2345 · …")."""
    text = page.locator(".bpx-loss").first.locator("xpath=..").text_content()
    match = re.search(r"step ([\d,]+)\s+train loss ([\d.]+)", text)
    assert match, f"no step count and train loss in the status line: {text!r}"
    return int(match[1].replace(",", "")), float(match[2])


@pytest.mark.timeout(240)
def test_playground_play_trains_and_the_loss_falls(page, fixture_lab):
    _open_app(page, fixture_lab, "apps/playground.ipynb", plots=3)
    loss_plot = jh.plot_index(page, "Loss (train solid, test dashed)")
    steps0, loss0 = _playground_status(page)
    assert steps0 == 0
    jh.screenshot(page, "app-playground-start", selector=".jp-OutputArea-output:has(.widget-play)")

    jh.press_play(page)
    # Ten steps a tick: wait for 200 steps (about 2 s on an idle machine).
    page.wait_for_function(
        """() => { const m = document.querySelector('.bpx-loss').textContent.match(/step ([\\d,]+)/);
                   return !!m && parseInt(m[1].replace(/,/g, '')) >= 200; }""",
        timeout=90_000,
    )
    jh.press_play(page, button="pause")
    steps, loss = _playground_status(page)
    assert steps >= 200
    assert loss < 0.8 * loss0, (loss0, loss)
    # The loss curve on the page: from the start to the last step shown, falling.
    curve = jh.plot_traces(page, loss_plot)[0]
    assert curve["x"][0] == 0 and curve["x"][-1] >= 200
    assert curve["y"][-1] < 0.8 * curve["y"][0]
    assert curve["y"][0] == pytest.approx(loss0, abs=5e-5)
    jh.assert_no_errors(page)
    jh.screenshot(page, "app-playground-trained", selector=".jp-OutputArea-output:has(.widget-play)")
