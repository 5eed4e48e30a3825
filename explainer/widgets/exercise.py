"""ExerciseChecker: the verdict on a learner's backward pass, in green or red, and a "show solution" button."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as W

from ..course.exercises import ExerciseResult, check_layer_backward, exercise_case, solution_code
from .app import App


class ExerciseChecker(App):
    """Check ``backward(a_prev, W, z, grad_a) -> (delta, grad_W, grad_b, grad_a_prev)`` and show the verdict.

    ``ExerciseChecker(backward)`` runs ``explainer.course.exercises.check_layer_backward`` at once (with its
    time limit: a function that does not return says so instead of freezing the kernel); ``app.check(fn)``
    checks another function. ``app.result`` is the ExerciseResult, ``app.verdict`` the HTML widget showing
    it (green when right, red with the first wrong gradient otherwise). ``app.controls["solution"]``
    toggles the reference solution's code (``app.solution``).
    """

    def __init__(self, user_fn: Callable | None = None, *, seed: int = 0, lecture: bool = False, theme: str = "auto"):
        super().__init__(lecture=lecture, theme=theme)
        case = exercise_case(seed)  # validates the seed, and gives the shapes to show
        self.seed = seed
        self.result: ExerciseResult | None = None
        self._shown = False  # the solution
        shapes = (
            f"backward(a_prev {case.a_prev.shape}, W {case.W.shape}, z {case.z.shape}, grad_a {case.grad_a.shape})"
            " → delta, grad_W, grad_b, grad_a_prev"
        )
        self.signature = self._own(W.HTML(f'<div class="bpx-exercise-signature">{html.escape(shapes)}</div>'))
        self.verdict = self._own(W.HTML())
        self.solution = self._own(W.HTML(layout=W.Layout(display="none")))
        self.controls["solution"] = self._own(
            W.ToggleButton(
                value=False, description="show solution", icon="eye", tooltip="Reveal a correct backward function"
            )
        )
        self.controls["solution"].layout.width = "auto"
        self.controls["solution"].observe(lambda ch: self._gesture(lambda: self._show_solution(ch["new"])), "value")
        body = self._own(W.VBox([self.signature, self.verdict, self.controls["solution"], self.solution]))
        self.root = self._wrap(body)
        if user_fn is not None:
            self.check(user_fn)
        else:
            self._render_all()

    def check(self, user_fn: Callable) -> ExerciseResult:
        """Run the checker on ``user_fn`` and show the verdict (ValueError if it is not a function)."""
        self._check_open()
        self.result = check_layer_backward(user_fn, seed=self.seed)
        self._request()
        return self.result

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    def refresh(self) -> None:
        self._request()

    def _show_solution(self, shown: bool) -> None:
        self._shown = bool(shown)

    def _snapshot(self):
        return (self.result, self._shown)

    def _restore(self, snapshot) -> None:
        self.result, self._shown = snapshot

    def _render(self) -> None:
        if self.result is None:
            self.verdict.value = '<div class="bpx-exercise-wrong">No function checked yet: app.check(backward).</div>'
        else:
            css, mark = ("bpx-exercise-ok", "✓") if self.result.ok else ("bpx-exercise-wrong", "✗")
            self.verdict.value = f'<div class="{css}">{mark} {html.escape(self.result.message)}</div>'
        if self._shown and not self.solution.value:
            self.solution.value = f'<div class="bpx-exercise-code">{html.escape(solution_code())}</div>'
        self.solution.layout.display = None if self._shown else "none"
        self.controls["solution"].description = "hide solution" if self._shown else "show solution"
        if self.controls["solution"].value != self._shown:
            self.controls["solution"].value = self._shown

    def state(self) -> dict:
        return {"seed": self.seed, "solution": self._shown}

    def set_state(self, state: dict) -> None:
        self._check_open()
        self._shown = bool(state.get("solution", False))
        self._request()


def check_exercise(user_fn: Callable, *, seed: int = 0, lecture: bool = False) -> ExerciseChecker:
    """Check a learner's layer backward function and return the app that shows the verdict (display it)."""
    return ExerciseChecker(user_fn, seed=seed, lecture=lecture)
