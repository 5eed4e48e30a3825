"""Quiz driven from Python: the options in the learner's order, feedback on the option chosen, reveal on request."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import ipywidgets
import pytest

import explainer.widgets.quiz as quiz_module
from explainer.course.questions import PROMPTS, QUESTIONS, QuizSession, get_questions
from explainer.widgets import Quiz


def right(app: Quiz, i: int) -> int:
    """The displayed position of question i's right option (the order is the learner's)."""
    return app.session.orders[i].index(app.questions[i].answer)


def wrong(app: Quiz, i: int) -> int:
    return next(k for k in range(len(app.questions[i].options)) if k != right(app, i))


def test_default_quiz_asks_every_question_in_the_learners_order():
    app = Quiz()
    assert len(app.questions) == len(QUESTIONS)
    for i, q in enumerate(app.questions):
        shown = [label for label, _ in app.controls[f"q{i}"].options]
        assert sorted(shown) == sorted(q.options)
        assert shown == list(app.session.options(i))
    assert app.controls["q0"].value is None and app.score == 0
    other = Quiz(seed="ada")
    assert any(other.session.orders[i] != app.session.orders[i] for i in range(len(app.questions)))
    app.close()
    other.close()


def test_right_option_says_right_and_counts():
    app = Quiz(["chain_rule_neuron", "update_step"])
    app.controls["q0"].value = right(app, 0)  # a click
    assert "Right." in app.feedback[0].value and app.score == 1 and app.first_try == 1
    assert "1 of 2" in app.score_label.value
    app.close()


def test_wrong_option_says_why_that_option_is_wrong_without_the_answer():
    app = Quiz(["update_step"])
    q = app.questions[0]
    app.answer(0, wrong(app, 0))
    text = html.unescape(app.feedback[0].value)
    assert "Not quite" in text and q.correct_option not in text
    assert app.score == 0
    app.controls["reveal0"].click()
    assert q.correct_option in html.unescape(app.feedback[0].value)
    app.answer(0, right(app, 0))
    assert app.score == 1 and app.first_try == 0  # right on the second try
    app.close()


def test_revealing_first_is_no_first_try():
    app = Quiz(["update_step"])
    app.reveal(0)
    app.answer(0, right(app, 0))
    assert app.score == 1 and app.first_try == 0
    app.close()


def test_every_question_right_gives_full_score():
    app = Quiz()
    for i in range(len(app.questions)):
        app.answer(i, right(app, i))
    assert app.score == app.first_try == len(QUESTIONS)
    app.close()


def test_reset_clears_answers_feedback_and_score():
    app = Quiz(["update_step", "chain_rule_neuron"])
    app.answer(0, right(app, 0))
    app.reveal(1)
    app.controls["reset"].click()
    assert app.score == 0 and app.answers == [None, None]
    assert app.feedback[0].value == "" and app.feedback[1].value == ""
    assert app.controls["q0"].value is None
    app.close()


def test_topics_and_the_topic_picker():
    app = Quiz(topics=["memory"], topic_picker=True)
    assert {q.topic for q in app.questions} == {"memory"}
    assert app.session.prompts == [p for p in PROMPTS.values() if p.topic == "memory"]
    app.controls["topic"].value = "chain rule"
    assert {q.topic for q in app.questions} == {"chain rule"}
    assert len([k for k in app.controls if k.startswith("q")]) == len(app.questions)
    app.close()


def test_own_words_prompts_show_a_model_answer_afterwards():
    key = next(k for k, p in PROMPTS.items() if "cake" in p.model_answer.lower() or "recipe" in p.model_answer.lower())
    prompt = PROMPTS[key]
    app = Quiz(topics=[prompt.topic])
    j = app.session.prompts.index(prompt)
    assert app.model_answers[j].value == ""
    app.controls[f"p{j}"].value = "The error is passed back through the layers, each taking its share."
    app.controls[f"compare{j}"].click()
    assert prompt.model_answer[:40] in html.unescape(app.model_answers[j].value)
    assert app.session.written[j].startswith("The error")
    app.close()


def test_questions_can_be_objects_or_keys():
    qs = get_questions(["update_step", "chain_rule_neuron"])
    assert [q.key for q in Quiz(qs).questions] == [q.key for q in Quiz(["update_step", "chain_rule_neuron"]).questions]


def test_prompts_are_escaped():
    app = Quiz(["update_step"])
    assert "<script" not in app._body.children[0].children[0].value
    app.close()


def test_an_error_in_a_callback_is_shown_not_lost(monkeypatch):
    app = Quiz(["update_step"])

    def broken(*args, **kwargs):
        raise RuntimeError("feedback exploded")

    monkeypatch.setattr(app.session, "answer", broken)
    app.controls["q0"].value = 1
    assert "feedback exploded" in app.message.value
    app.close()


def test_state_round_trip(tmp_path):
    app = Quiz(["update_step", "chain_rule_neuron"], seed=7)
    app.answer(0, wrong(app, 0))
    app.answer(1, right(app, 1))
    path = tmp_path / "quiz.json"
    app.save_state(path)
    other = Quiz(["update_step", "chain_rule_neuron"])
    other.load_state(path)
    assert other.answers == app.answers and other.score == 1
    assert other.session.orders == app.session.orders  # the same learner, the same order
    assert "Not quite" in other.feedback[0].value
    app.close()
    other.close()


def test_lecture_mode_and_close():
    before = set(ipywidgets.widgets.widget._instances)
    app = Quiz(lecture=True, topic_picker=True)
    assert "bpx-lecture" in app.root._dom_classes
    app.controls["topic"].value = "memory"  # the old blocks are closed as the new ones come
    app.close()
    assert set(ipywidgets.widgets.widget._instances) - before == set()
    with pytest.raises(RuntimeError, match="was closed"):
        app.answer(0, 0)


@pytest.mark.parametrize(
    ("questions", "text"),
    [(["nope"], "questions"), ([], "at least one"), ([3], "questions")],
)
def test_bad_questions(questions, text):
    with pytest.raises(ValueError, match=text):
        Quiz(questions)


@pytest.mark.parametrize(("index", "choice", "text"), [(5, 0, "index"), (0, 9, "choice"), (0, True, "choice")])
def test_bad_answers(index, choice, text):
    app = Quiz(["update_step"])
    with pytest.raises(ValueError, match=text):
        app.answer(index, choice)
    app.close()


def test_the_widget_shows_the_session():
    assert quiz_module.QuizSession is QuizSession


def test_the_picture_shows_the_questions_in_the_learners_order_and_what_was_answered():
    """What GitHub shows of a quiz cell: every question with its options in this learner's order; an answered
    question its mark and feedback; the right answer only once revealed; the score."""
    app = Quiz(["update_step", "chain_rule_neuron"], seed="ada")
    before = app.picture()
    ET.fromstring(before)
    drawn = drawn_text(before)
    for i in range(len(app.questions)):
        assert f"{i + 1}." in drawn
        positions = [drawn.index(f"○  {o}") for o in app.session.options(i)]
        assert positions == sorted(positions)  # in the displayed order
    assert app.questions[0].correct_option not in drawn.replace(f"○  {app.questions[0].correct_option}", "")
    assert "Score: 0 of 2 right" in drawn
    app.answer(0, wrong(app, 0))
    after = drawn_text(app.picture())
    assert f"●  {app.session.options(0)[wrong(app, 0)]}" in after and "✗ Not quite." in after
    assert "1 answered" in after
    app.close()


def drawn_text(svg: str) -> str:
    """Every text of a picture, as drawn, joined by spaces."""
    return " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))
