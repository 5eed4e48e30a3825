"""tests/nbval_sanitize.cfg: the replacements nbval applies before comparing notebook outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CFG = Path(__file__).with_name("nbval_sanitize.cfg")


def sanitize(text: str) -> str:
    # The same loop nbval runs (IPyNbFile.sanitize), over the patterns parsed by nbval itself.
    for regex, replace in get_sanitize_patterns(CFG.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def test_every_pattern_is_read_by_nbval():
    patterns = get_sanitize_patterns(CFG.read_text(encoding="utf-8"))
    assert len(patterns) == CFG.read_text(encoding="utf-8").count("\nregex: ") >= 4
    for regex, _ in patterns:
        re.compile(regex)


@pytest.mark.parametrize(
    ("run_1", "run_2", "expected"),
    [
        (
            '{"type": "scatter", "uid": "4f1c2d3e-aaaa-bbbb-cccc-0123456789ab", "x": [1, 2]}',
            '{"type": "scatter", "uid": "9e8d7c6b-1111-2222-3333-ba9876543210", "x": [1, 2]}',
            '{"type": "scatter", "uid": "<uid>", "x": [1, 2]}',
        ),
        (
            "FigureWidget({'data': [{'type': 'scatter', 'uid': 'a1b2c3d4-0000-1111-2222-333344445555'}]})",
            "FigureWidget({'data': [{'type': 'scatter', 'uid': 'ffffffff-0000-1111-2222-333344445555'}]})",
            "FigureWidget({'data': [{'type': 'scatter', 'uid': \"<uid>\"}]})",
        ),
        (
            '{"model_id": "0123456789abcdef0123456789abcdef", "version_major": 2}',
            '{"model_id": "fedcba9876543210fedcba9876543210", "version_major": 2}',
            '{"model_id": "<model_id>", "version_major": 2}',
        ),
        (
            '<div id="0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3" class="plotly-graph-div">',
            '<div id="ab6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c4" class="plotly-graph-div">',
            '<div id="<uuid>" class="plotly-graph-div">',
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" id="a1"><path d="M0 0.30000000000000004"/></svg>\n',
            '<svg xmlns="http://www.w3.org/2000/svg" id="b2"><path d="M0 0.3"/></svg>',
            "<svg/>",
        ),
        (
            "<explainer.engine.network.Network object at 0x7f3a2b1c9d50>",
            "<explainer.engine.network.Network object at 0x7f00deadbeef>",
            "<explainer.engine.network.Network object at 0x<address>>",
        ),
    ],
)
def test_two_runs_that_differ_only_in_ids_compare_equal(run_1: str, run_2: str, expected: str):
    assert run_1 != run_2
    assert sanitize(run_1) == sanitize(run_2) == expected


@pytest.mark.parametrize(
    "text",
    [
        "loss = 0.298371109",  # numbers the prose quotes must still be compared
        "W1[0,1] = 0x1F",  # a short hex literal is not an address
        "activation='sigmoid', uid_count=3",
    ],
)
def test_ordinary_output_is_left_alone(text: str):
    assert sanitize(text) == text
