"""The apps made of text as still pictures (explainer.views.text_picture): wrapped to the width, valid SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from explainer.views.diagram import text_width
from explainer.views.text_picture import MONO_EM, Block, Table, text_picture, wrap

SVG = "{http://www.w3.org/2000/svg}"


def test_wrapped_lines_fit_and_keep_every_word():
    words = "the chain rule multiplies the local slopes along the path from the loss to the weight " * 4
    lines = wrap(words.strip(), 13, 200)
    assert len(lines) > 3 and all(text_width(line, 13) <= 200 for line in lines)
    assert " ".join(lines).split() == words.split()


def test_a_word_longer_than_a_line_is_cut_not_left_running_off():
    lines = wrap("x" * 300, 13, 120)
    assert "".join(lines) == "x" * 300 and all(text_width(line, 13) <= 120 for line in lines)


def test_code_keeps_its_lines_and_breaks_long_ones_after_a_space_with_a_hanging_indent():
    code = "def f(x):\n    return x * " + " + ".join(["weight"] * 20)
    lines = wrap(code, 13, 300, mono=True)
    assert lines[0] == "def f(x):" and lines[1].startswith("    return x * weight")
    assert all(MONO_EM * 13 * len(line) <= 300 for line in lines)
    assert all(line.startswith(" " * 8) for line in lines[2:])
    assert "".join(line.strip() for line in lines[1:]).replace(" ", "") == code.split("\n")[1].replace(" ", "")


def test_the_picture_is_valid_svg_with_every_text_and_kind_colours():
    blocks = [
        Block("Quiz: 1 question", "heading"),
        Block("1. What is ∂L/∂w?", "prompt"),
        Block("○  0.0822", "option"),
        Block("✓ Right.", "ok"),
        Block("✗ Not quite.", "wrong"),
        Block("    z = x @ W", "code"),
        Table(("", "name", "note"), (("▶", "z¹", "wrong"), ("", "a¹", "follows")), ("wrong", "ok"), (0,), 0),
    ]
    light, dark = (text_picture(blocks, title="t", theme=t) for t in ("light", "dark"))
    root = ET.fromstring(light.svg())
    assert root.tag == SVG + "svg"
    texts = light.texts()
    for want in ("Quiz: 1 question", "1. What is ∂L/∂w?", "○  0.0822", "✓ Right.", "    z = x @ W", "z¹", "follows"):
        assert want in texts
    assert 'fill="#0b5d1e"' in light.svg() and 'fill="#7a1c00"' in light.svg()  # right in green, wrong in orange
    assert light.background == "#ffffff" and dark.background != light.background
    assert 'xml:space="preserve"' in light.svg()  # the code's indent survives


def test_bad_input_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="kind must be one of"):
        Block("x", "loud")
    with pytest.raises(ValueError, match="blocks must be a list"):
        text_picture(["x"], title="t")
    with pytest.raises(ValueError, match="width must be"):
        text_picture([Block("x")], title="t", width=5000)
