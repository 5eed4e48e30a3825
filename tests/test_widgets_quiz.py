"""Quiz driven from Python: options chosen, feedback and score read back."""

from __future__ import annotations

import json

import ipywidgets as W
import pytest

from explainer.course.questions import QUESTIONS, Question, get_questions
from explainer.widgets.quiz import Quiz


def wrong_option(q: Question) -> int:
    return (q.answer + 1) % len(q.options)


def test_default_quiz_asks_every_question():
    app = Quiz()
    assert [q.key for q in app.questions] == list(QUESTIONS)
    assert {f"q{i}" for i in range(len(QUESTIONS))} <= set(app.controls)
    for i, q in enumerate(app.questions):
        radio = app.controls[f"q{i}"]
        assert isinstance(radio, W.RadioButtons)
        assert radio.value is None  # nothing pre-selected
        assert [label for label, _ in radio.options] == list(q.options)
    assert app.score == 0 and app.answered == 0
    assert "Score: <b>0 of 12</b>" in app.score_label.value
    assert all(f.value == "" for f in app.feedback)


def test_right_option_says_correct_and_counts():
    app = Quiz(["chain_rule", "frozen"])
    q = app.questions[0]
    app.controls["q0"].value = q.answer  # as a click does
    assert "Correct" in app.feedback[0].value and "bpx-quiz-right" in app.feedback[0].value
    assert "0.7414 · 0.1868 · 0.5933 = 0.0822" in app.feedback[0].value  # the explanation follows
    assert app.score == 1 and app.answered == 1 and app.first_try == 1
    assert "Score: <b>1 of 2</b> correct (1 answered, 1 right at the first try)" in app.score_label.value
    assert app.feedback[1].value == ""


def test_wrong_option_shows_the_explanation_and_no_point():
    app = Quiz(["update_step"])
    q = app.questions[0]
    app.answer(0, wrong_option(q))
    text = app.feedback[0].value
    assert "Not quite" in text and "bpx-quiz-wrong" in text and "Correct" not in text
    assert "0.40 − 0.5 · 0.0822 = 0.3589" in text
    assert app.score == 0 and app.answered == 1
    # changing to the right option scores now, but not as a first try
    app.answer(0, q.answer)
    assert "Correct" in app.feedback[0].value
    assert app.score == 1 and app.first_try == 0


def test_every_question_right_gives_full_score():
    app = Quiz()
    for i, q in enumerate(app.questions):
        app.answer(i, q.answer)
    assert app.score == app.first_try == len(QUESTIONS)
    assert all("Correct" in f.value for f in app.feedback)


def test_reset_clears_answers_feedback_and_score():
    app = Quiz(["vanishing", "efficiency"])
    app.answer(0, app.questions[0].answer)
    app.answer(1, wrong_option(app.questions[1]))
    app.controls["reset"].click()
    assert app.answers == [None, None] and app.score == 0 and app.first_try == 0
    assert all(f.value == "" for f in app.feedback)
    assert "Score: <b>0 of 2</b>" in app.score_label.value


def test_questions_can_be_objects_or_keys():
    objects = get_questions(topics="error")
    assert [q.key for q in Quiz(objects).questions] == [q.key for q in objects]
    assert [q.key for q in Quiz("frozen").questions] == ["frozen"]


def test_prompts_are_numbered_and_escaped():
    custom = Question("lt", "error", "Is 1 < 2?", ("yes", "no"), 0, "Because <b> is not a tag here.")
    app = Quiz([custom])
    html = app.root.children[1].children[1].children[0].value
    assert "1. Is 1 &lt; 2?" in html
    app.answer(0, 0)
    assert "&lt;b&gt; is not a tag" in app.feedback[0].value


def test_error_in_a_callback_is_shown_not_lost(monkeypatch):
    app = Quiz(["frozen"])

    def broken(index):
        raise RuntimeError("feedback exploded")

    monkeypatch.setattr(app, "_render_feedback", broken)
    app.controls["q0"].value = 0
    assert app.errors and "RuntimeError: feedback exploded" in app.errors[-1]
    assert "bpx-error" in app.message.value


def test_state_round_trip(tmp_path):
    app = Quiz(["chain_rule", "frozen"])
    app.answer(0, 3)
    app.answer(1, 1)
    path = tmp_path / "quiz.json"
    app.save_state(path)
    assert json.loads(path.read_text())["answers"] == [3, 1]
    other = Quiz(["chain_rule", "frozen"])
    other.load_state(path)
    assert other.answers == [3, 1] and other.score == 1
    with pytest.raises(ValueError, match="same keys"):
        Quiz(["frozen"]).load_state(path)


def test_lecture_mode_and_close():
    app = Quiz(["frozen"], lecture=True)
    assert "bpx-lecture" in app.root._dom_classes
    app.set_lecture(False)
    assert "bpx-lecture" not in app.root._dom_classes
    app.close()
    assert app.controls["q0"].comm is None


@pytest.mark.parametrize(
    "questions, text",
    [(["nope"], "questions\\[0\\]"), ([], "at least one"), ([3], "questions\\[0\\]"), (5, "questions\\[0\\]")],
)
def test_bad_questions(questions, text):
    with pytest.raises(ValueError, match=text):
        Quiz(questions)


@pytest.mark.parametrize(
    "index, choice, text", [(5, 0, "index"), (True, 0, "index"), (0, 4, "choice"), (0, "a", "choice")]
)
def test_bad_answers(index, choice, text):
    with pytest.raises(ValueError, match=text):
        Quiz(["frozen"]).answer(index, choice)
