"""ExerciseChecker: the verdict on a learner's backward pass, in green or red, and a "show solution" button."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W

from ..course.exercises import ExerciseResult, check_layer_backward, exercise_case, solution_code
from ._base import App

EXERCISE_CSS = """
<style>
.bpx-exercise-ok { color: #0b5d1e; background: #eaf7ee; border-left: 5px solid #009E73; padding: 8px 12px; }
.bpx-exercise-wrong { color: #7a1c00; background: #fff1ea; border-left: 5px solid #D55E00; padding: 8px 12px; }
.bpx-exercise-ok, .bpx-exercise-wrong { white-space: pre-wrap; font-size: 1.05em; line-height: 1.4; }
.bpx-exercise-code { font-family: Menlo, Consolas, monospace; background: #f6f8fa; border: 1px solid #d0d7de;
  border-radius: 4px; padding: 8px 12px; white-space: pre; overflow-x: auto; line-height: 1.35; }
.bpx-exercise-signature { font-family: Menlo, Consolas, monospace; color: #555; }
.bpx-app.bpx-lecture .bpx-exercise-ok, .bpx-app.bpx-lecture .bpx-exercise-wrong,
.bpx-app.bpx-lecture .bpx-exercise-code, .bpx-app.bpx-lecture .bpx-exercise-signature { font-size: 22px !important; }
</style>
"""


class ExerciseChecker(App):
    """Check ``backward(a_prev, W, z, grad_a) -> (delta, grad_W, grad_b, grad_a_prev)`` and show the verdict.

    ``ExerciseChecker(backward)`` runs ``explainer.course.exercises.check_layer_backward`` at once; ``app.check(fn)``
    checks another function. ``app.result`` is the ExerciseResult, ``app.verdict`` the HTML widget showing
    it (green when right, red with the first wrong gradient otherwise). ``app.controls["solution"]``
    toggles the reference solution's code (``app.solution``).
    """

    def __init__(self, user_fn: Callable | None = None, *, seed: int = 0, lecture: bool = False):
        super().__init__(lecture=lecture)
        case = exercise_case(seed)  # validates the seed, and gives the shapes to show
        self.seed = seed
        self.result: ExerciseResult | None = None
        shapes = (
            f"backward(a_prev {case.a_prev.shape}, W {case.W.shape}, z {case.z.shape}, grad_a {case.grad_a.shape})"
            " → delta, grad_W, grad_b, grad_a_prev"
        )
        self.signature = W.HTML(f'<div class="bpx-exercise-signature">{html.escape(shapes)}</div>')
        self.verdict = W.HTML()
        self.solution = W.HTML(layout=W.Layout(display="none"))
        self.controls["solution"] = W.ToggleButton(
            value=False, description="show solution", icon="eye", tooltip="Reveal a correct backward function"
        )
        self.controls["solution"].observe(lambda change: self._guard(self._on_solution_change), names="value")
        self.root = self._wrap(
            W.VBox([W.HTML(EXERCISE_CSS), self.signature, self.verdict, self.controls["solution"], self.solution])
        )
        if user_fn is not None:
            self.check(user_fn)
        else:
            self.verdict.value = '<div class="bpx-exercise-wrong">No function checked yet: app.check(backward).</div>'

    def check(self, user_fn: Callable) -> ExerciseResult:
        """Run the checker on ``user_fn`` and show the verdict (ValueError if it is not a function)."""
        self.result = check_layer_backward(user_fn, seed=self.seed)
        self.refresh()
        return self.result

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    def refresh(self) -> None:
        if self.result is None:
            return
        css, mark = ("bpx-exercise-ok", "✓") if self.result.ok else ("bpx-exercise-wrong", "✗")
        self.verdict.value = f'<div class="{css}">{mark} {html.escape(self.result.message)}</div>'

    def _on_solution_change(self) -> None:
        shown = self.controls["solution"].value
        if shown:
            self.solution.value = f'<div class="bpx-exercise-code">{html.escape(solution_code())}</div>'
        self.solution.layout.display = None if shown else "none"
        self.controls["solution"].description = "hide solution" if shown else "show solution"

    def _all_widgets(self) -> list[W.Widget]:
        return [*super()._all_widgets(), self.signature, self.verdict, self.solution]


def check_exercise(user_fn: Callable, *, seed: int = 0, lecture: bool = False) -> ExerciseChecker:
    """Check a learner's layer backward function and return the app that shows the verdict (display it)."""
    return ExerciseChecker(user_fn, seed=seed, lecture=lecture)
