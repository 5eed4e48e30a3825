"""Quiz: multiple-choice questions with instant feedback and a running score."""

from __future__ import annotations

import html
from collections.abc import Iterable

import ipywidgets as W

from ..course.questions import QUESTIONS, Question, get_questions
from ._base import App

QUIZ_CSS = """
<style>
.bpx-quiz .widget-radio-box label { white-space: normal; line-height: 1.35; margin-bottom: 4px; }
.bpx-quiz .widget-radio-box { width: 100%; }
.bpx-app.bpx-lecture .bpx-quiz .widget-radio-box label, .bpx-app.bpx-lecture .bpx-quiz-prompt,
.bpx-app.bpx-lecture .bpx-quiz-feedback, .bpx-app.bpx-lecture .bpx-quiz-score { font-size: 22px !important; }
.bpx-quiz-prompt { font-weight: 600; margin-top: 10px; line-height: 1.4; }
.bpx-quiz-feedback { line-height: 1.4; }
.bpx-quiz-right { color: #0b5d1e; background: #eaf7ee; border-left: 4px solid #009E73; padding: 4px 10px; }
.bpx-quiz-wrong { color: #7a1c00; background: #fff1ea; border-left: 4px solid #D55E00; padding: 4px 10px; }
.bpx-quiz-score { font-size: 1.15em; margin-top: 8px; }
</style>
"""


def _resolve(questions) -> list[Question]:
    if questions is None:
        return get_questions()
    if isinstance(questions, (str, Question)) or not isinstance(questions, Iterable):
        questions = [questions]
    chosen = []
    for i, q in enumerate(questions):
        if isinstance(q, Question):
            chosen.append(q)
        elif isinstance(q, str) and q in QUESTIONS:
            chosen.append(QUESTIONS[q])
        else:
            raise ValueError(f"questions[{i}] must be a Question or one of the keys {', '.join(QUESTIONS)}; got {q!r}")
    if not chosen:
        raise ValueError("questions must hold at least one question")
    return chosen


class Quiz(App):
    """Each question with its options as radio buttons; choosing one shows right/wrong and the explanation at once.

    ``Quiz()`` asks every question of ``explainer.course.questions.QUESTIONS``; ``Quiz(["chain_rule", "frozen"])``
    or a list of Question objects asks those. ``app.controls`` holds ``"q0"``, ``"q1"``, … (the radio
    buttons, values = option indices or None) and ``"reset"``; ``app.score`` counts the questions whose
    chosen option is right, ``app.first_try`` those answered right at the first attempt.
    """

    def __init__(self, questions: Iterable[Question | str] | None = None, *, lecture: bool = False):
        super().__init__(lecture=lecture)
        self.questions = _resolve(questions)
        self.feedback: list[W.HTML] = []
        self._first: list[bool | None] = [None] * len(self.questions)  # right at the first attempt?
        blocks = []
        for i, q in enumerate(self.questions):
            prompt = W.HTML(f'<div class="bpx-quiz-prompt">{i + 1}. {html.escape(q.prompt)}</div>')
            radio = W.RadioButtons(
                options=[(text, k) for k, text in enumerate(q.options)],
                index=None,
                layout=W.Layout(width="auto"),
            )
            radio.observe(lambda change, i=i: self._guard(lambda: self._on_answer_change(i)), names="value")
            self.controls[f"q{i}"] = radio
            feedback = W.HTML(layout=W.Layout(min_height="0"))
            self.feedback.append(feedback)
            blocks.append(W.VBox([prompt, radio, feedback]))
        self.score_label = W.HTML()
        self.controls["reset"] = W.Button(description="start again", tooltip="Clear every answer")
        self.controls["reset"].on_click(lambda _: self._guard(self.reset))
        body = W.VBox([W.HTML(QUIZ_CSS), *blocks, W.HBox([self.score_label, self.controls["reset"]])])
        body.add_class("bpx-quiz")
        self.root = self._wrap(body)
        self._render_score()

    # ------------------------------------------------------------------ reading
    @property
    def answers(self) -> list[int | None]:
        """The chosen option per question (None: not answered yet)."""
        return [self.controls[f"q{i}"].value for i in range(len(self.questions))]

    @property
    def score(self) -> int:
        """How many questions have their right option chosen."""
        return sum(a is not None and q.is_correct(a) for q, a in zip(self.questions, self.answers))

    @property
    def answered(self) -> int:
        return sum(a is not None for a in self.answers)

    @property
    def first_try(self) -> int:
        """How many questions were answered right at the first attempt."""
        return sum(bool(f) for f in self._first)

    # ------------------------------------------------------------------ acting
    def answer(self, index: int, choice: int | None) -> None:
        """Choose option ``choice`` of question ``index`` (as a click would); None clears it."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.questions):
            raise ValueError(f"index must be a question number from 0 to {len(self.questions) - 1}; got {index!r}")
        n = len(self.questions[index].options)
        if choice is not None and (isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < n):
            raise ValueError(f"choice must be an option number from 0 to {n - 1} or None; got {choice!r}")
        self.controls[f"q{index}"].value = choice

    def reset(self) -> None:
        """Clear every answer and the score."""
        for i in range(len(self.questions)):
            self._set_silently(self.controls[f"q{i}"], None)
        self._first = [None] * len(self.questions)
        self.refresh()

    def refresh(self) -> None:
        for i in range(len(self.questions)):
            self._render_feedback(i)
        self._render_score()

    # ------------------------------------------------------------------ callbacks
    def _on_answer_change(self, index: int) -> None:
        if self._silent:
            return
        choice = self.controls[f"q{index}"].value
        if choice is not None and self._first[index] is None:
            self._first[index] = self.questions[index].is_correct(choice)
        self._render_feedback(index)
        self._render_score()

    def _render_feedback(self, index: int) -> None:
        q, choice = self.questions[index], self.controls[f"q{index}"].value
        if choice is None:
            self.feedback[index].value = ""
            return
        explanation = html.escape(q.explanation)
        if q.is_correct(choice):
            text = f'<div class="bpx-quiz-feedback bpx-quiz-right">✓ <b>Correct.</b> {explanation}</div>'
        else:
            text = f'<div class="bpx-quiz-feedback bpx-quiz-wrong">✗ <b>Not quite.</b> {explanation}</div>'
        self.feedback[index].value = text

    def _render_score(self) -> None:
        total = len(self.questions)
        self.score_label.value = (
            f'<div class="bpx-quiz-score">Score: <b>{self.score} of {total}</b> correct '
            f"({self.answered} answered, {self.first_try} right at the first try)</div>"
        )

    # ------------------------------------------------------------------ state and closing
    def state(self) -> dict:
        return {"questions": [q.key for q in self.questions], "answers": self.answers}

    def set_state(self, state: dict) -> None:
        keys, answers = state.get("questions"), state.get("answers")
        if keys != [q.key for q in self.questions] or not isinstance(answers, list):
            raise ValueError("state must hold the answers to this quiz's questions (same keys, same order)")
        for i, choice in enumerate(answers):
            self.answer(i, choice)

    def _all_widgets(self) -> list[W.Widget]:
        return [*super()._all_widgets(), *self.feedback, self.score_label]
