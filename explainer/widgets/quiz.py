"""Quiz: multiple-choice questions with feedback on the option chosen, answers on request, own-words prompts.

The quiz itself is ``explainer.course.questions.QuizSession`` (which questions, each learner's option order,
the feedback for each option, the score); this app only shows it. A wrong option's feedback says why that
option is wrong without naming the right one; "show the answer" reveals it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import ipywidgets as W

from ..course.questions import TOPICS, Question, QuizSession, topic_counts
from ..views.text_picture import Block, text_picture
from .app import App

ALL = "all topics"


class Quiz(App):
    """Each question with its options as radio buttons (in this learner's order, from ``seed``); choosing one
    shows what is right or wrong about *that* option; "show the answer" reveals the right one.

    ``Quiz()`` asks every question of ``explainer.course.questions.QUESTIONS``; ``Quiz(["chain_rule", "frozen"])``
    or a list of Question objects asks those; ``Quiz(topics=["memory"])`` or ``Quiz(notebook=3)`` chooses by topic
    or by how far a learner has come. ``seed``: the learner (a number or a name) whose option order is used.
    ``topic_picker=True`` adds a menu of the topics. The "explain it in your own words" prompts of the chosen
    topics come last: write an answer, then compare it with a model answer.

    ``app.controls`` holds ``"q0"``, ``"q1"``, … (radio buttons, values = displayed option numbers or None),
    ``"reveal0"``, … , ``"p0"``, … (the own-words text areas), ``"compare0"``, …, ``"topic"`` and ``"reset"``;
    ``app.session`` is the QuizSession; ``app.score`` counts the questions whose chosen option is right,
    ``app.first_try`` those answered right at the first attempt.
    """

    def __init__(
        self,
        questions: Iterable[Question | str] | None = None,
        *,
        topics: Iterable[str] | None = None,
        notebook: int | None = None,
        seed: int | str = 0,
        topic_picker: bool = False,
        lecture: bool = False,
        theme: str = "auto",
    ):
        super().__init__(lecture=lecture, theme=theme)
        self._given = (questions, topics, notebook)
        self.session = QuizSession(questions, topics=topics, notebook=notebook, seed=seed)
        self.seed = seed
        self._body = self._own(W.VBox())
        self._body.add_class("bpx-quiz")
        picker = []
        if topic_picker:
            counts = {t: n for t, n, _ in topic_counts()}
            options = [(ALL, "")] + [(f"{t} ({counts[t]})", t) for t in TOPICS if counts[t]]
            self.controls["topic"] = self._own(
                W.Dropdown(options=options, value="", description="topic", style={"description_width": "initial"})
            )
            self.controls["topic"].observe(lambda ch: self._gesture(lambda: self._choose_topic(ch["new"])), "value")
            picker = [self.controls["topic"]]
        self.score_label = self._own(W.HTML())
        self.controls["reset"] = self._own(W.Button(description="start again", tooltip="Clear every answer"))
        self.controls["reset"].layout.width = "auto"
        self.controls["reset"].on_click(lambda _: self._gesture(self.reset))
        foot = self._own(W.HBox([self.score_label, self.controls["reset"]]))
        foot.add_class("bpx-bar")
        self.root = self._wrap(self._own(W.VBox([*picker, self._body, foot])))
        self._build_questions()
        self._render_all()

    # ------------------------------------------------------------------ building (per set of questions)
    def _build_questions(self) -> None:
        """One block per question and prompt; blocks of an earlier set are closed (nothing left open)."""
        for key in [k for k in self.controls if k[:1] in "qp" or k.startswith(("reveal", "compare"))]:
            del self.controls[key]
        for widget in getattr(self, "_blocks", []):
            self._close_owned(widget)
        self._blocks, self.feedback, self.model_answers = [], [], []
        s = self.session
        children = []
        for i, q in enumerate(s.questions):
            prompt = self._block(W.HTML(f'<div class="bpx-quiz-prompt">{i + 1}. {html.escape(q.prompt)}</div>'))
            radio = self._block(W.RadioButtons(options=[(text, k) for k, text in enumerate(s.options(i))], index=None))
            radio.layout.width = "auto"
            radio.observe(lambda ch, i=i: self._on_answer(i, ch["new"]), names="value")
            reveal = self._block(W.Button(description="show the answer", tooltip="Reveal the right option and why"))
            reveal.layout.width = "auto"
            reveal.layout.align_self = "flex-start"
            reveal.on_click(lambda _, i=i: self._gesture(lambda: self.reveal(i)))
            feedback = self._block(W.HTML())
            self.controls[f"q{i}"], self.controls[f"reveal{i}"] = radio, reveal
            self.feedback.append(feedback)
            children.append(self._block(W.VBox([prompt, radio, feedback, reveal])))
        for j, p in enumerate(s.prompts):
            head = self._block(W.HTML(f'<div class="bpx-quiz-prompt">In your own words: {html.escape(p.prompt)}</div>'))
            area = self._block(W.Textarea(placeholder="Write your answer first…", layout=W.Layout(width="100%")))
            compare = self._block(W.Button(description="compare with a model answer"))
            compare.layout.width = "auto"
            compare.on_click(lambda _, j=j: self._gesture(lambda: self._compare(j)))
            answer = self._block(W.HTML())
            self.controls[f"p{j}"], self.controls[f"compare{j}"] = area, compare
            self.model_answers.append(answer)
            children.append(self._block(W.VBox([head, area, compare, answer])))
        self._body.children = children

    def _block(self, widget: W.Widget) -> W.Widget:
        self._blocks.append(widget)
        return self._own(widget)

    def _close_owned(self, widget: W.Widget) -> None:
        from .app import close_widget

        close_widget(widget)
        if widget in self._widgets:
            self._widgets.remove(widget)

    # ------------------------------------------------------------------ reading
    @property
    def questions(self) -> list[Question]:
        return self.session.questions

    @property
    def answers(self) -> list[int | None]:
        """The chosen option per question, as displayed (None: not answered yet)."""
        return [self.session.choice(i) for i in range(len(self.questions))]

    @property
    def score(self) -> int:
        return self.session.score

    @property
    def answered(self) -> int:
        return self.session.answered

    @property
    def first_try(self) -> int:
        return self.session.first_try

    # ------------------------------------------------------------------ acting
    def answer(self, index: int, choice: int | None) -> None:
        """Choose option ``choice`` (as displayed) of question ``index``, as a click would; None clears the mark."""
        self._check_open()
        if choice is None:
            self.session._index(index)
            self._cleared = getattr(self, "_cleared", set()) | {index}
        else:
            self.session.answer(index, choice)
            self._cleared = getattr(self, "_cleared", set()) - {index}
        self._request()

    def reveal(self, index: int) -> str:
        """Show the right answer of question ``index`` and why."""
        self._check_open()
        text = self.session.reveal(index)
        self._request()
        return text

    def reset(self) -> None:
        """Clear every answer, reveal and written text, and the score (the option order stays)."""
        self._check_open()
        self.session.reset()
        self._cleared = set()
        self._request()

    def refresh(self) -> None:
        self._request()

    def _on_answer(self, index: int, choice) -> None:
        if self._drawing or choice is None:
            return
        self._gesture(lambda: self.answer(index, choice))

    def _compare(self, index: int) -> None:
        text = self.controls[f"p{index}"].value
        if text.strip():
            self.session.explain(index, text)
        else:
            self.session.model_answer(index)
            self._note = "The model answer is shown; writing your own first helps you remember it."

    def _choose_topic(self, topic: str) -> None:
        questions, topics, notebook = self._given
        if topic:
            self.session = QuizSession(topics=[topic], seed=self.seed)
        else:
            self.session = QuizSession(questions, topics=topics, notebook=notebook, seed=self.seed)
        self._build_questions()

    # ------------------------------------------------------------------ drawing
    def _snapshot(self):
        return (self.session, self.session.to_dict())

    def _restore(self, snapshot) -> None:
        session, data = snapshot
        self.session = session
        restored = QuizSession.from_dict(data)
        session.attempts, session.revealed = restored.attempts, restored.revealed
        session.revealed_early, session.written, session.shown = (
            restored.revealed_early,
            restored.written,
            restored.shown,
        )

    def _render(self) -> None:
        s = self.session
        cleared = getattr(self, "_cleared", set())
        self._drawing = True
        try:
            for i in range(len(s.questions)):
                choice = None if i in cleared else s.choice(i)
                radio = self.controls[f"q{i}"]
                if radio.value != choice:
                    radio.value = choice
                self.feedback[i].value = self._feedback_html(i, choice)
            for j in range(len(s.prompts)):
                shown = s.shown[j]
                self.model_answers[j].value = (
                    f'<div class="bpx-quiz-feedback bpx-quiz-right">{html.escape(s.model_answer(j))}</div>'
                    if shown
                    else ""
                )
                if s.written[j] is not None and self.controls[f"p{j}"].value != s.written[j]:
                    self.controls[f"p{j}"].value = s.written[j]
        finally:
            self._drawing = False
        count, rest = self._score()
        self.score_label.value = f'<div class="bpx-quiz-score">Score: <b>{count}</b> right {rest}</div>'

    def _feedback(self, i: int, choice: int | None) -> list[tuple[str, str, str]]:
        """What the quiz says under question ``i``: (kind "ok" or "wrong", lead, text) per paragraph."""
        s = self.session
        q = s.questions[i]
        out = []
        if choice is not None:
            original = s.orders[i][choice]
            right = q.is_correct(original)
            out.append(("ok" if right else "wrong", "✓ Right." if right else "✗ Not quite.", q.feedback_for(original)))
        if s.revealed[i]:
            out.append(("ok", "", f"The answer: {q.correct_option}. {q.reveal}"))
        return out

    def _feedback_html(self, i: int, choice: int | None) -> str:
        css = {"ok": "bpx-quiz-right", "wrong": "bpx-quiz-wrong"}
        return "".join(
            f'<div class="bpx-quiz-feedback {css[kind]}">'
            + (f"{html.escape(lead[0])} <b>{html.escape(lead[2:])}</b> " if lead else "")
            + f"{html.escape(text)}</div>"
            for kind, lead, text in self._feedback(i, choice)
        )

    def picture(self) -> str:
        """The questions, their options in this learner's order and what has been answered, as a standalone SVG
        (what GitHub shows of this app's cell)."""
        self.flush()
        s = self.session
        cleared = getattr(self, "_cleared", set())
        blocks = [Block(f"Quiz: {len(s.questions)} questions", "heading")]
        for i, q in enumerate(s.questions):
            choice = None if i in cleared else s.choice(i)
            blocks.append(Block(f"{i + 1}. {q.prompt}", "prompt"))
            blocks += [Block(f"{'●' if k == choice else '○'}  {o}", "option") for k, o in enumerate(s.options(i))]
            blocks += [Block(f"{lead} {text}".strip(), kind) for kind, lead, text in self._feedback(i, choice)]
        for j, p in enumerate(s.prompts):
            blocks.append(Block(f"In your own words: {p.prompt}", "prompt"))
            if s.written[j]:
                blocks.append(Block(s.written[j], "body"))
            if s.shown[j]:
                blocks.append(Block(s.model_answer(j), "ok"))
        count, rest = self._score()
        blocks.append(Block(f"Score: {count} right {rest}", "body"))
        blocks.append(
            Block("Run the notebook to answer: each option then says what is right or wrong about it.", "muted")
        )
        return text_picture(blocks, title="Quiz", theme=self.drawing_theme).svg()

    def _score(self) -> tuple[str, str]:
        """The score line's two parts: "3 of 15" and "(4 answered, 2 right at the first try)"."""
        s = self.session
        return f"{s.score} of {len(s.questions)}", f"({s.answered} answered, {s.first_try} right at the first try)"

    # ------------------------------------------------------------------ state
    def state(self) -> dict:
        return {"session": self.session.to_dict()}

    def set_state(self, state: dict) -> None:
        """Take a state from ``state()`` (the same questions, or any: the quiz then asks those)."""
        self._check_open()
        if not isinstance(state, dict) or "session" not in state:
            raise ValueError("state must be what Quiz.state() returns (a dict with 'session')")
        session = QuizSession.from_dict(state["session"])
        same = [q.key for q in session.questions] == [q.key for q in self.session.questions] and [
            p.key for p in session.prompts
        ] == [p.key for p in self.session.prompts]
        self.session = session
        if not same:
            self._build_questions()
        self._cleared = set()
        self._request()
