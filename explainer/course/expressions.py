"""Expressions a learner types, read into a graph of ``Value`` nodes by a whitelist over Python's ``ast``.

    root, leaves = parse_expression("tanh(w1*x1 + w2*x2 + b)", w1=0.5, x1=2.0, w2=-1.0, x2=0.0, b=0.1)
    root.backward()
    leaves["w1"].grad          # ∂root/∂w1

What an expression may hold (everything else is refused with an ``ExpressionError``, a ValueError that names
the column and the text of the offending part):

- numbers (``2``, ``0.5``, ``1e-3``) and variables (``w1``, ``x``, ``θ``), each variable given a value;
- ``+  -  *  /`` and ``**`` with a number as the exponent (``x**2``, ``x**-1``, ``x**0.5``; |exponent| ≤ 100),
  unary ``-`` and ``+``, parentheses;
- the functions of ``FUNCTIONS``: ``exp(x) log(x) tanh(x) sigmoid(x) relu(x)`` and ``max(a, b)``.

A variable used twice is one leaf: its gradient sums both uses. The text is parsed, never run: no ``eval`` or
``exec``, no names but the variables and the functions, no attributes, subscripts, lambdas, comparisons or
keywords. Bounds keep a typed expression small: at most ``MAX_LENGTH`` characters, ``MAX_NODES`` syntax nodes,
``MAX_DEPTH`` levels of nesting.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from numbers import Real
from typing import NamedTuple

from ..engine.autograd import Value

MAX_LENGTH = 500  # characters
MAX_NODES = 250  # syntax-tree nodes (a neuron with two inputs has about 20)
MAX_DEPTH = 50  # levels of nesting
MAX_EXPONENT = 100  # |k| in x**k


class Function(NamedTuple):
    """A function an expression may call."""

    n_args: int
    apply: Callable[..., Value]  # the Value operation
    meaning: str


# The only calls an expression may make.
FUNCTIONS = {
    "exp": Function(1, Value.exp, "eˣ"),
    "log": Function(1, Value.log, "the natural logarithm, for x > 0"),
    "tanh": Function(1, Value.tanh, "the hyperbolic tangent"),
    "sigmoid": Function(1, Value.sigmoid, "σ(x) = 1 / (1 + e⁻ˣ)"),
    "relu": Function(1, Value.relu, "max(x, 0)"),
    "max": Function(2, Value.max, "the larger of two values (the gradient goes to the larger)"),
}

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_REFUSED_OPERATORS = {
    ast.BitXor: "^ is not a power in Python: write x**2",
    ast.FloorDiv: "// (floor division) has no gradient: use /",
    ast.Mod: "% (remainder) is not one of the operations",
    ast.MatMult: "@ (matrix product) is not for single numbers: use *",
    ast.LShift: "<< is not one of the operations",
    ast.RShift: ">> is not one of the operations",
    ast.BitOr: "| is not one of the operations",
    ast.BitAnd: "& is not one of the operations",
    ast.Not: "not is not one of the operations",
    ast.Invert: "~ is not one of the operations",
}
_REFUSED_NODES = {
    ast.Attribute: "attribute access (a.b) is not allowed",
    ast.Subscript: "subscripts (a[i]) are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "and / or are not allowed",
    ast.IfExp: "if … else is not allowed",
    ast.NamedExpr: ":= is not allowed",
    ast.Starred: "* unpacking is not allowed",
    ast.Tuple: "a tuple (a comma outside a call) is not an expression of one number",
    ast.List: "lists are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generators are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}
_ALLOWED = "numbers, variables, + - * /, ** with a number exponent, unary -, parentheses and " + ", ".join(
    f"{name}({'a, b' if f.n_args == 2 else 'x'})" for name, f in FUNCTIONS.items()
)


class ExpressionError(ValueError):
    """An expression that cannot be read: ``column`` (from 1) and ``text`` point at the offending part."""

    def __init__(self, expression: str, column: int, text: str, reason: str):
        self.expression, self.column, self.text, self.reason = expression, column, text, reason
        width = max(1, len(text))
        caret = " " * (column - 1) + "^" * width
        where = f"at column {column} ({text!r})" if text else f"at column {column}"
        shown = "".join(ch if ch.isprintable() else "�" for ch in expression)  # one line, whatever was typed
        super().__init__(f"cannot read the expression {where}: {reason}\n    {shown}\n    {caret}")


def parse_expression(
    expression: str, values: Mapping[str, float] | None = None, /, **named: float
) -> tuple[Value, dict[str, Value]]:
    """Read ``expression`` into a graph of Values; return (root, {variable name: its leaf Value}).

    Each variable's value comes from ``values`` or from a keyword (``x=1.5``); values for names the
    expression does not use are ignored. The leaves come in the order the expression first uses them.
    Raises ExpressionError (a ValueError) for anything outside the whitelist in the module docstring, a
    variable with no value, or a number that cannot be computed (log of 0, a division by 0, an overflow).
    """
    if not isinstance(expression, str):
        raise ValueError(f"expression must be a string; got {type(expression).__name__}")
    given = _check_values({**(dict(values) if values is not None else {}), **named})
    body = expression.lstrip()
    offset = len(expression) - len(body)  # columns count in the text as typed
    if not body.strip():
        raise ExpressionError(expression, 1, "", "the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(expression, MAX_LENGTH + 1, "", f"longer than {MAX_LENGTH} characters")
    for i, ch in enumerate(expression):
        if not (ch.isprintable() or ch == "\t"):  # a line break, a control character, a lone surrogate
            raise ExpressionError(expression, i + 1, "", "the expression must be one line of printable text")
    tree = _parse(expression, body, offset)
    return _Reader(expression, body, offset, given).read(tree)


def _check_values(values: dict) -> dict[str, float]:
    for name, value in values.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"variable names must be names such as x or w1, not starting with _; got {name!r}")
        if name in FUNCTIONS:
            raise ValueError(f"{name} is a function, so it cannot be a variable; rename the variable")
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ValueError(f"the value of {name} must be a finite number; got {value!r}")
    return {name: float(value) for name, value in values.items()}


def _parse(expression: str, body: str, offset: int) -> ast.Expression:
    try:
        return ast.parse(body, mode="eval")
    except SyntaxError as err:
        column = offset + (err.offset or 0)
        reason = err.msg
        if not err.offset or err.offset > len(body.rstrip()):  # the parser ran out of text
            column = offset + len(body.rstrip()) + 1
            last = body.rstrip()[-1]
            reason = (
                f"the expression ends with {last!r}, which needs something after it"
                if last in "+-*/(,^%@<>=&|."
                else err.msg
            )
        elif "decimal literal" in err.msg:
            reason = "a number run into a name: write 2*x, not 2x"
        end = offset + err.end_offset if err.end_offset and err.end_offset > err.offset else column + 1
        text = expression[column - 1 : end - 1] if 0 < column <= len(expression) else ""
        raise ExpressionError(expression, max(column, 1), text.strip(), reason) from None
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes, too deeply nested
        raise ExpressionError(expression, 1, "", f"Python cannot read it ({err})") from None


class _Reader:
    """Walks a parsed expression, refusing what the whitelist does not name and building Values for the rest."""

    def __init__(self, expression: str, body: str, offset: int, values: dict[str, float]):
        self.expression, self.body, self.offset, self.values = expression, body, offset, values
        self.leaves: dict[str, Value] = {}

    def read(self, tree: ast.Expression) -> tuple[Value, dict[str, Value]]:
        nodes = list(ast.walk(tree))
        if len(nodes) > MAX_NODES:
            raise ExpressionError(self.expression, 1, "", f"more than {MAX_NODES} parts: split it into smaller ones")
        self._check_depth(tree.body)
        root = self.value(tree.body)
        return root, self.leaves

    # -------------------------------------------------------------------------------------------- where
    def refuse(self, node: ast.AST, reason: str) -> ExpressionError:
        start = len(self.body.encode("utf-8")[: node.col_offset].decode("utf-8", errors="replace"))
        text = ast.get_source_segment(self.body, node) or ""
        return ExpressionError(self.expression, self.offset + start + 1, text, reason)

    def _check_depth(self, top: ast.AST) -> None:
        stack = [(top, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise self.refuse(node, f"nested more than {MAX_DEPTH} levels deep")
            # Only expressions have a place in the text to point at (not Load, Add and the like).
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))

    # -------------------------------------------------------------------------------------------- what
    def value(self, node: ast.AST) -> Value:
        """The Value of one syntax node (its inputs first), labelled with its source text."""
        out = self._compute(node)
        if not math.isfinite(out.data) or not all(math.isfinite(g) for g in out.local_grads):
            raise self.refuse(node, f"the value here overflows ({out.data!r}): use smaller numbers")
        if out.op and not out.label:
            out.label = ast.get_source_segment(self.body, node) or ""
        return out

    def _compute(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.variable(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub) and _is_number(node.operand):
                return self.constant(node.operand, sign=-1.0, source=node)  # -3 is a number, not −(3)
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                operand = self.value(node.operand)
                return self.compute(node, lambda: -operand) if isinstance(node.op, ast.USub) else operand
            raise self.refuse(node, _REFUSED_OPERATORS[type(node.op)])
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        reason = _REFUSED_NODES.get(type(node), f"{type(node).__name__} is not allowed")
        raise self.refuse(node, f"{reason}; an expression may hold only {_ALLOWED}")

    def constant(self, node: ast.Constant, sign: float = 1.0, source: ast.AST | None = None) -> Value:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.refuse(node, f"only numbers may appear here, not {type(v).__name__} values")
        try:
            number = sign * float(v)
        except OverflowError:
            raise self.refuse(node, "this number is too large") from None
        if not math.isfinite(number):
            raise self.refuse(node, "this number is too large")
        return Value.constant(number, label=ast.get_source_segment(self.body, source or node) or "")

    def variable(self, node: ast.Name) -> Value:
        name = node.id
        if name in FUNCTIONS:
            raise self.refuse(node, f"{name} is a function: call it, as in {name}(x)")
        if name.startswith("_"):
            raise self.refuse(node, "names starting with _ are not allowed")
        if name not in self.values:
            raise self.refuse(node, f"{name} has no value: give one, as in parse_expression(..., {name}=1.0)")
        if name not in self.leaves:
            self.leaves[name] = Value(self.values[name], label=name)
        return self.leaves[name]  # one leaf per name: a reused variable sums its gradients

    def binary(self, node: ast.BinOp) -> Value:
        if type(node.op) in _REFUSED_OPERATORS:
            raise self.refuse(node, _REFUSED_OPERATORS[type(node.op)])
        if isinstance(node.op, ast.Pow):
            k = self.exponent(node.right)
            base = self.value(node.left)
            return self.compute(node, lambda: base**k)
        left, right = self.value(node.left), self.value(node.right)
        return self.compute(node, lambda: _BINARY[type(node.op)](left, right))

    def exponent(self, node: ast.AST) -> float:
        sign, inner = 1.0, node
        while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(inner.op, ast.USub) else sign
            inner = inner.operand
        if not _is_number(inner):
            raise self.refuse(node, "the exponent must be a number, as in x**2 or x**-1 (for eˣ write exp(x))")
        k = sign * float(inner.value)
        if not abs(k) <= MAX_EXPONENT:
            raise self.refuse(node, f"exponents are limited to ±{MAX_EXPONENT}")
        return k

    def call(self, node: ast.Call) -> Value:
        if not isinstance(node.func, ast.Name):
            what = "attribute access (a.b) is not allowed" if isinstance(node.func, ast.Attribute) else ""
            reason = what or "only the functions can be called"
            raise self.refuse(node.func, f"{reason}; the functions are {', '.join(FUNCTIONS)}")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(node.func, f"unknown function {name!r}; the functions are {', '.join(FUNCTIONS)}")
        n_args = FUNCTIONS[name].n_args
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, f"{name} takes plain arguments only, no keywords or *")
        if len(node.args) != n_args:
            plural = "s" if n_args > 1 else ""
            raise self.refuse(node, f"{name} takes {n_args} argument{plural}; got {len(node.args)}")
        args = [self.value(a) for a in node.args]
        return self.compute(node, lambda: FUNCTIONS[name].apply(*args))

    def compute(self, node: ast.AST, operation) -> Value:
        """Run one Value operation; a number it cannot compute becomes an ExpressionError pointing here."""
        try:
            return operation()
        except ZeroDivisionError:
            raise self.refuse(node, "a division by zero (or zero to a negative power)") from None
        except OverflowError:
            raise self.refuse(node, "the value here overflows: use smaller numbers") from None
        except ValueError as err:  # log of a number ≤ 0, a negative number to a fractional power
            raise self.refuse(node, str(err)) from None


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


# ---------------------------------------------------------------------------------------------------------------
class Example(NamedTuple):
    """A named expression with its values: a starting point for the graph explorer and the notebooks."""

    expression: str
    values: dict[str, float]
    title: str
    description: str


EXAMPLES = {
    "neuron": Example(
        "tanh(w1*x1 + w2*x2 + b)",
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
        "A tanh neuron",
        "Karpathy's micrograd lecture neuron: the output is 0.7071, and ∂o/∂w1 = 1.0, ∂o/∂x1 = −1.5.",
    ),
    "add_multiply": Example(
        "(x + y) * z",
        {"x": -2.0, "y": 5.0, "z": -4.0},
        "Add, then multiply",
        "CS231n's first circuit: f = −12; ∂f/∂x = ∂f/∂y = z = −4 (+ distributes), ∂f/∂z = x + y = 3 (× swaps).",
    ),
    "gates": Example(
        "2 * (x*y + max(z, w))",
        {"x": 3.0, "y": -4.0, "z": 2.0, "w": -1.0},
        "Patterns in backward flow",
        "CS231n's gates: + distributes, max routes (∂f/∂z = 2, ∂f/∂w = 0), × swaps (∂f/∂x = −8, ∂f/∂y = 6).",
    ),
    "sigmoid_neuron": Example(
        "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
        {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0},
        "A sigmoid neuron, gate by gate",
        "CS231n's neuron circuit: f = 0.73; ∂f/∂x = (0.39, −0.59), ∂f/∂w = (−0.20, −0.39, 0.20).",
    ),
    "reuse": Example(
        "x*y + x",
        {"x": 3.0, "y": -2.0},
        "A variable used twice",
        "x feeds two operations, so its gradient is the sum of both shares: ∂f/∂x = y + 1 = −1.",
    ),
}


def parse_example(name: str) -> tuple[Value, dict[str, Value]]:
    """(root, leaves) of the named example of ``EXAMPLES``."""
    if not isinstance(name, str) or name not in EXAMPLES:
        raise ValueError(f"name must be one of {', '.join(EXAMPLES)}; got {name!r}")
    example = EXAMPLES[name]
    return parse_expression(example.expression, example.values)


# How each activation reads as an expression of its pre-activation z (softmax couples a layer: no single neuron).
_ACTIVATION_TEXT = {
    "sigmoid": "sigmoid({z})",
    "tanh": "tanh({z})",
    "relu": "relu({z})",
    "leaky_relu": "max({z}, 0.01*({z}))",  # the engine's slope 0.01 for z < 0
    "identity": "{z}",
}


def neuron_expression(record, layer: int, neuron: int, sample: int = 0) -> Example:
    """One neuron of a network's record as an expression with the record's numbers: a = f(Σᵢ wᵢ xᵢ + b).

    ``layer`` counts from 1 as in the maths (layer 1 takes the network's inputs); ``neuron`` and ``sample``
    from 0. Its variables: x1 … xn the neuron's inputs (the previous layer's activations for that sample),
    w1 … wn the weights into it, b its bias. Parsed and run backward, the graph gives ∂a/∂w with the neuron's
    own output as the root; the record's share of ∂L/∂w from this sample is that times the record's ∂L/∂a.
    """
    n_layers = len(record.weights)
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= n_layers:
        raise ValueError(f"layer must be a layer number from 1 to {n_layers}; got {layer!r}")
    W, b = record.weights[layer - 1], record.biases[layer - 1]  # (n_in, n_out), (n_out,)
    inputs = record.activations[layer - 1]  # (n_samples, n_in)
    for value, count, argument in ((neuron, W.shape[1], "neuron"), (sample, inputs.shape[0], "sample")):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
            raise ValueError(f"{argument} must be a number from 0 to {count - 1}; got {value!r}")
    activation = record.activation_names[layer - 1]
    if activation not in _ACTIVATION_TEXT:
        raise ValueError(
            f"layer {layer} has a {activation} activation, which couples the whole layer; choose a layer with "
            f"{', '.join(_ACTIVATION_TEXT)}"
        )
    batch_norms = getattr(record, "batch_norms", ())
    if batch_norms and batch_norms[layer - 1] is not None:
        raise ValueError(
            f"layer {layer} has batch norm, so its neuron's output depends on the whole batch (through μ and σ²); "
            "choose a layer without batch norm"
        )
    n_in = W.shape[0]
    z = " + ".join(f"w{i}*x{i}" for i in range(1, n_in + 1)) + " + b"
    values = {f"w{i + 1}": float(W[i, neuron]) for i in range(n_in)}
    values |= {f"x{i + 1}": float(inputs[sample, i]) for i in range(n_in)}
    values["b"] = float(b[neuron])
    return Example(
        _ACTIVATION_TEXT[activation].format(z=z),
        values,
        f"Neuron {neuron + 1} of layer {layer}",
        f"a = {activation}(Σᵢ wᵢ xᵢ + b) for sample {sample}, with the record's weights, inputs and bias.",
    )
