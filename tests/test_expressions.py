"""explainer.course.expressions: typed expressions become the right graph, and anything else a ValueError that
points at the offending part (never another exception, whatever the text)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explainer import Network, get_scenario
from explainer.autograd import (
    EXAMPLES,
    FUNCTIONS,
    MAX_LENGTH,
    ExpressionError,
    Value,
    backward_steps,
    neuron_expression,
    parse_example,
    parse_expression,
    trace,
)

VALUES = {"x": 0.7, "y": -1.3, "z": 2.0}


# ---------------------------------------------------------------------------------------------- right graphs
def test_the_issue_example():
    root, leaves = parse_expression("tanh(w1*x1 + w2*x2 + b)", w1=-3.0, x1=2.0, w2=1.0, x2=0.0, b=6.8813735870195432)
    assert isinstance(root, Value) and list(leaves) == ["w1", "x1", "w2", "x2", "b"]
    root.backward()
    assert f"{root.data:.4f}" == "0.7071"  # micrograd's lecture neuron
    grads = {name: round(v.grad, 4) for name, v in leaves.items()}
    assert grads == {"w1": 1.0, "x1": -1.5, "w2": 0.0, "x2": 0.5, "b": 0.5}


def test_cs231n_circuit_typed():
    root, leaves = parse_expression(
        "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", {"w0": 2.0, "w1": -3.0, "w2": -3.0, "x0": -1.0, "x1": -2.0}
    )
    root.backward()
    assert [round(leaves[k].grad, 2) for k in ("x0", "x1")] == [0.39, -0.59]
    assert [round(leaves[k].grad, 2) for k in ("w0", "w1", "w2")] == [-0.20, -0.39, 0.20]


def test_a_variable_used_twice_is_one_leaf_and_sums():
    root, leaves = parse_expression("x*y + x", x=3.0, y=-2.0)
    root.backward()
    assert leaves["x"].grad == -1.0 and leaves["y"].grad == 3.0  # y + 1, x
    t = trace(root)
    assert [n.label for n in t.nodes if n.kind == "input"] == ["x", "y"]
    assert t.by_label("x").reused
    shares_to_x = [c for s in backward_steps(root) for c in s.contributions if c.child is leaves["x"]]
    assert [c.accumulates for c in shares_to_x] == [False, True]  # the second share is a "+="


def test_labels_numbers_and_operator_precedence():
    root, leaves = parse_expression("-x**2 + 2*x - -3 + +y/4", x=1.5, y=2.0)
    assert root.data == pytest.approx(-(1.5**2) + 3.0 + 3.0 + 0.5)
    t = trace(root)
    assert t.nodes[t.root].label == "-x**2 + 2*x - -3 + +y/4"
    constants = sorted(n.label for n in t.nodes if n.kind == "constant")
    assert constants == ["-3", "2", "4"]  # "-3" is one number, not a negation node
    assert {n.op for n in t.nodes if n.kind == "op"} == {"neg", "**2", "*", "-", "+", "/"}
    root, _ = parse_expression("  max(x, 3) ", x=1.0)  # spaces around are fine
    assert root.data == 3.0


def test_every_function_can_be_called():
    for name, f in FUNCTIONS.items():
        args = ", ".join(["x", "y"][: f.n_args])
        root, leaves = parse_expression(f"{name}({args})", x=0.8, y=0.3)
        direct = f.apply(*(Value(v) for v in (0.8, 0.3)[: f.n_args]))
        assert root.data == direct.data and root.op == name
        assert f.meaning


def test_values_may_come_as_a_mapping_or_keywords_and_unused_ones_are_ignored():
    root, leaves = parse_expression("a*b", {"a": 2.0, "b": 5.0, "unused": 1.0}, b=3.0)
    assert root.data == 6.0 and list(leaves) == ["a", "b"]  # the keyword wins


def test_examples():
    expected = {
        "neuron": (0.7071, {"x1": -1.5, "w1": 1.0}),
        "add_multiply": (-12.0, {"x": -4.0, "y": -4.0, "z": 3.0}),
        "gates": (-20.0, {"x": -8.0, "y": 6.0, "z": 2.0, "w": 0.0}),
        "sigmoid_neuron": (0.7311, {"x0": 0.3932, "x1": -0.5898, "w0": -0.1966, "w2": 0.1966}),
        "reuse": (-3.0, {"x": -1.0, "y": 3.0}),
    }
    assert set(EXAMPLES) == set(expected)
    for name, (data, grads) in expected.items():
        root, leaves = parse_example(name)
        root.backward()
        assert round(root.data, 4) == data
        assert {k: round(leaves[k].grad, 4) for k in grads} == grads
        assert EXAMPLES[name].title and EXAMPLES[name].description
    with pytest.raises(ValueError, match="name must be one of neuron"):
        parse_example("nope")


# ---------------------------------------------------------------------------------------------- refusals, by name
REFUSALS = [
    # (expression, words of the reason, column, text pointed at)
    ('__import__("os")', "unknown function '__import__'", 1, "__import__"),
    ("x.__class__", "attribute access", 1, "x.__class__"),
    ("exp.__globals__", "attribute access", 1, "exp.__globals__"),
    ("x + y.real", "attribute access", 5, "y.real"),
    ("x.conjugate()", "attribute access", 1, "x.conjugate"),
    ("x[0]", "subscripts", 1, "x[0]"),
    ("lambda: x", "lambda is not allowed", 1, "lambda: x"),
    ("foo(x)", "unknown function 'foo'", 1, "foo"),
    ("x + sin(y)", "unknown function 'sin'", 5, "sin"),
    ("f(x)(y)", "only the functions can be called", 1, "f(x)"),
    ("x +", "ends with '+'", 4, ""),
    ("x * (y -", "'(' was never closed", 5, "("),
    ("x * (y -)", "invalid syntax", 9, ")"),
    ("x + * y", "invalid syntax", 5, "*"),
    ("w*x + b", "b has no value", 7, "b"),
    ("x**200", "exponents are limited to ±100", 4, "200"),
    ("x**-101", "exponents are limited", 4, "-101"),
    ("x**y", "exponent must be a number", 4, "y"),
    ("2**x", "exponent must be a number", 4, "x"),
    ("2x", "write 2*x", 1, "2"),
    ("x ^ 2", "^ is not a power", 1, "x ^ 2"),
    ("x // 2", "floor division", 1, "x // 2"),
    ("x % 2", "remainder", 1, "x % 2"),
    ("x @ y", "matrix product", 1, "x @ y"),
    ("~x", "~ is not", 1, "~x"),
    ("not x", "not is not", 1, "not x"),
    ("x < 1", "comparisons", 1, "x < 1"),
    ("x and y", "and / or", 1, "x and y"),
    ("x if y else z", "if … else", 1, "x if y else z"),
    ("(x := 1)", ":= is not allowed", 2, "x := 1"),
    ("x, y", "a tuple", 1, "x, y"),
    ("[x]", "lists", 1, "[x]"),
    ("{x}", "sets", 1, "{x}"),
    ("[x for x in y]", "comprehensions", 1, "[x for x in y]"),
    ("'x'", "only numbers may appear here, not str", 1, "'x'"),
    ('f"{x}"', "strings", 1, 'f"{x}"'),
    ("True + x", "not bool", 1, "True"),
    ("None", "not NoneType", 1, "None"),
    ("...", "not ellipsis", 1, "..."),
    ("1j * x", "not complex", 1, "1j"),
    ("exp(x, y)", "exp takes 1 argument; got 2", 1, "exp(x, y)"),
    ("max(x)", "max takes 2 arguments; got 1", 1, "max(x)"),
    ("max(a=x, b=y)", "no keywords", 1, "max(a=x, b=y)"),
    ("exp(*x)", "no keywords or *", 1, "exp(*x)"),
    ("exp + x", "exp is a function: call it", 1, "exp"),
    ("_x * 2", "names starting with _", 1, "_x"),
    ("log(x - x)", "log needs a positive number", 1, "log(x - x)"),
    ("y * log(-x)", "log needs a positive number", 5, "log(-x)"),
    ("1 / (x - x)", "division by zero", 1, "1 / (x - x)"),
    ("x**-1 * 0**-1", "division by zero", 9, "0**-1"),
    ("(-x)**0.5", "whole-number exponent", 1, "(-x)**0.5"),
    ("exp(2000 * x)", "overflows", 1, "exp(2000 * x)"),
    ("1e300 * 1e300 * x", "overflows", 1, "1e300 * 1e300"),
    ("x + 1e999", "too large", 5, "1e999"),
    ("αβ + x.y", "attribute access", 6, "x.y"),  # columns count characters, not UTF-8 bytes
    ("  x +", "ends with '+'", 6, ""),  # and the spaces typed before
    ("", "empty", 1, ""),
    ("   ", "empty", 1, ""),
    ("x\n+ y", "one line", 2, ""),
    ("x\x00", "one line", 2, ""),
    ("x" + "+x" * 260, f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1, ""),
    ("+".join(["x*y"] * 80), "more than 250 parts", 1, ""),
    ("-" * 60 + "x", "nested more than 50 levels", 51, "-" * 10 + "x"),
    ("x" + " + x" * 60, "nested more than 50 levels", 45, "x"),  # the first part 51 levels down
]


@pytest.mark.parametrize("expression, reason, column, text", REFUSALS, ids=[r[0][:30] for r in REFUSALS])
def test_named_refusals_point_at_the_offending_part(expression, reason, column, text):
    with pytest.raises(ExpressionError) as info:
        parse_expression(expression, x=0.7, y=-1.3, z=2.0, w=1.0, αβ=1.0)
    err = info.value
    assert isinstance(err, ValueError)
    assert reason in err.reason and reason in str(err)
    assert (err.column, err.text) == (column, text)
    assert err.expression == expression
    lines = str(err).split("\n")
    assert lines[2].index("^") - 4 == column - 1  # the caret sits under the column


@pytest.mark.parametrize(
    "values, text",
    [
        ({"x": "1"}, "value of x must be a finite number"),
        ({"x": math.nan}, "value of x must be a finite number"),
        ({"x": True}, "value of x must be a finite number"),
        ({"_x": 1.0}, "variable names must be names"),
        ({"exp": 1.0}, "exp is a function"),
    ],
)
def test_values_are_checked_at_the_door(values, text):
    with pytest.raises(ValueError, match=text):
        parse_expression("x", values)


def test_the_expression_must_be_a_string():
    with pytest.raises(ValueError, match="expression must be a string; got int"):
        parse_expression(3)


# ---------------------------------------------------------------------------------------------- whatever is typed
def _sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _reference_value(expression: str) -> float:
    """An independent evaluation of an expression the parser accepted (the test may eval: the text is vetted)."""
    names = {
        "exp": math.exp,
        "log": math.log,
        "tanh": math.tanh,
        "sigmoid": _sigmoid,
        "relu": lambda v: max(v, 0.0),
        "max": max,
        **VALUES,
    }
    return float(eval(expression, {"__builtins__": {}}, names))  # only text the parser accepted


def _torch_grads(expression: str, torch) -> dict[str, float]:
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in VALUES.items()}

    def lift(v):
        return torch.as_tensor(v, dtype=torch.float64)

    names = {
        "exp": lambda v: torch.exp(lift(v)),
        "log": lambda v: torch.log(lift(v)),
        "tanh": lambda v: torch.tanh(lift(v)),
        "sigmoid": lambda v: torch.sigmoid(lift(v)),
        "relu": lambda v: torch.relu(lift(v)),
        "max": lambda a, b: torch.maximum(lift(a), lift(b)),
        **t,
    }
    out = eval(expression, {"__builtins__": {}}, names)  # only text the parser accepted
    if isinstance(out, torch.Tensor) and out.requires_grad:
        out.backward()
    return {k: 0.0 if v.grad is None else v.grad.item() for k, v in t.items()}


def _at_a_kink(root: Value) -> bool:
    """A max whose inputs (nearly) tie, or a relu at (nearly) 0, somewhere in the graph."""
    t = trace(root)
    for n in t.nodes:
        args = [t.nodes[c].data for c in n.children]
        if n.op == "max" and math.isclose(args[0], args[1], rel_tol=1e-12, abs_tol=1e-300):
            return True
        if n.op == "relu" and abs(args[0]) < 1e-12:
            return True
    return False


def _check(expression: str) -> None:
    """A ValueError (an ExpressionError) or a right graph; never anything else."""
    try:
        root, leaves = parse_expression(expression, VALUES)
    except ExpressionError as err:
        assert 1 <= err.column <= len(expression) + 1
        return
    assert set(leaves) <= set(VALUES)
    assert all(v.label == name and not v.children for name, v in leaves.items())
    inputs = [n.label for n in trace(root).nodes if n.kind == "input"]
    assert sorted(inputs) == sorted(leaves)  # one leaf per variable, however often it is used
    assert root.data == pytest.approx(_reference_value(expression), rel=1e-12, abs=1e-12)
    root.backward()
    if _at_a_kink(root):
        return  # max and relu have no derivative at a tie; PyTorch's pow may round the tie away by one ulp
    try:
        import torch
    except ImportError:
        return
    grads = _torch_grads(expression, torch)
    # atol: a gradient that cancels to 0 comes out as ±1 ulp of its terms (-(x * -x**-1): 0.0 against -2.2e-16).
    ours = [leaves[k].grad if k in leaves else 0.0 for k in grads]
    np.testing.assert_allclose(ours, list(grads.values()), rtol=1e-9, atol=1e-12)


TOKENS = [
    *"xyz",
    "w",
    "q",
    *"+-*/",
    "**",
    "(",
    ")",
    ",",
    " ",
    ".",
    "^",
    "2",
    "0.5",
    "3",
    "0",
    "1e308",
    *FUNCTIONS,
    "sin",
    "__import__",
    "[",
    "]",
    "lambda",
    ":",
    "'",
    "=",
    "<",
    "_",
    "x.real",
]
_FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=24).map("".join))
def test_token_soup_is_a_value_error_or_a_right_graph(expression):
    _check(expression)


@_FUZZ
@given(st.text(max_size=40))
def test_any_text_is_a_value_error_or_a_right_graph(expression):
    _check(expression)


def _grammar_step(inner):
    unary = [name for name, f in FUNCTIONS.items() if f.n_args == 1]
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(["2", "3", "-1", "0.5", "0"])).map(lambda t: f"{t[0]}**{t[1]}"),
        st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
        inner.map(lambda e: f"-{e}"),
    )


# Well-formed expressions (most are accepted; some hit log of a negative number, a zero divisor, …).
GRAMMAR = st.recursive(st.sampled_from(["x", "y", "z", "2", "0.5", "3", "1e-3"]), _grammar_step, max_leaves=12)


@_FUZZ
@given(GRAMMAR)
def test_well_formed_expressions_are_a_value_error_or_a_right_graph(expression):
    _check(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "x*y + x",
        "max(x, x)",
        "max(x, 0.7)",
        "relu(x - 0.7)",
        "x**0 + y**-2",
        "exp(tanh(x*y)) / (z + 1)",
        "log(z) * sigmoid(-x) - relu(y)",
        "3**4 * x",
    ],
)
def test_hand_picked_expressions_agree_with_python_and_torch(expression):
    _check(expression)
    root, _ = parse_expression(expression, VALUES)  # and they are accepted
    assert math.isfinite(root.data)


# ---------------------------------------------------------------------------------------------- a network's neuron
def test_a_neuron_of_the_worked_example_as_an_expression():
    sc = get_scenario("worked_example")
    rec = sc.network.backprop(sc.X, sc.y)
    example = neuron_expression(rec, 2, 0)  # o₁: w5, w6 from h₁, h₂
    assert example.expression == "sigmoid(w1*x1 + w2*x2 + b)"
    assert example.values == {
        "w1": 0.40,
        "w2": 0.45,
        "x1": rec.activations[1][0, 0],
        "x2": rec.activations[1][0, 1],
    } | {"b": 0.60}
    root, leaves = parse_expression(example.expression, example.values)
    root.backward()
    assert root.data == pytest.approx(rec.output[0, 0], rel=1e-15)
    upstream = rec.grad_activations[1][0, 0]  # ∂L/∂o₁
    assert leaves["w1"].grad * upstream == pytest.approx(rec.grad_weights[1][0, 0], rel=1e-14)  # ∂L/∂w₅
    assert leaves["b"].grad * upstream == pytest.approx(rec.deltas[1][0, 0], rel=1e-14)  # δ = ∂L/∂z


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_every_single_neuron_activation_reads_as_an_expression(activation):
    net = Network([3, 4, 1], activation=activation, output_activation="identity", loss="mse", seed=2)
    X = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.7]])
    rec = net.backprop(X, [[0.5], [-0.2]])
    for sample in range(2):
        for j in range(4):
            example = neuron_expression(rec, 1, j, sample)
            root, leaves = parse_expression(example.expression, example.values)
            root.backward()
            assert root.data == pytest.approx(rec.activations[1][sample, j], rel=1e-13, abs=1e-15)
            share = leaves["w2"].grad * rec.grad_activations[0][sample, j]  # this sample's part of ∂L/∂W[1, j]
            assert share == pytest.approx(rec.activations[0][sample, 1] * rec.deltas[0][sample, j], rel=1e-12)


def test_neuron_expression_refuses_what_it_cannot_write():
    sc = get_scenario("worked_example")
    rec = sc.network.backprop(sc.X, sc.y)
    for args, text in [((0, 0), "layer must be"), ((3, 0), "layer must be"), ((1, 2), "neuron must be")]:
        with pytest.raises(ValueError, match=text):
            neuron_expression(rec, *args)
    with pytest.raises(ValueError, match="sample must be"):
        neuron_expression(rec, 1, 0, sample=1)
    net = Network([2, 3], output_activation="softmax", loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="softmax activation, which couples the whole layer"):
        neuron_expression(net.backprop([[0.1, 0.2]], [1]), 1, 0)
    net = Network([2, 3, 1], batch_norm=True, seed=0)
    rec = net.backprop([[0.1, 0.2], [0.3, -0.4]], [[1.0], [0.0]])
    with pytest.raises(ValueError, match="layer 1 has batch norm"):
        neuron_expression(rec, 1, 0)
    example = neuron_expression(rec, 2, 0)  # the output layer has none: its a is the record's
    root, _ = parse_expression(example.expression, example.values)
    assert root.data == pytest.approx(rec.activations[2][0, 0], rel=1e-12)
