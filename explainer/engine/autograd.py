"""A scalar reverse-mode autograd: backpropagation on a graph of single numbers, one chain rule per operation.

Every operation computes its value and, right beside it, its *local derivatives*: how much its output moves
per unit move of each input. ``backward()`` then walks the graph from the root back to the leaves, and each
node hands each of its inputs ``local derivative × its own gradient`` (the chain rule). An input used in more
than one place adds up what every use hands back (``+=``)::

    a = Value(-4.0); b = Value(2.0)
    c = a * b + b**3        # c.data = 0.0
    c.backward()            # a.grad = ∂c/∂a = b = 2.0, b.grad = ∂c/∂b = a + 3b² = 8.0

The same walk, recorded for a diagram: ``trace(root)`` gives nodes and edges as plain data (each node's op,
value, gradient, label, the local derivatives it passes back, the pattern of backward flow it shows), and
``backward_steps(root)`` performs the backward pass one node at a time, yielding what each step added where.

Modelled on Andrej Karpathy's micrograd (``micrograd/engine.py``); the differences: subtraction, division and
negation are operations of their own (so a diagram shows ``a − b`` as one node, not ``a + (−1·b)``), the graph
keeps its inputs in argument order (a reused input appears once per use), and ``backward()`` starts every
gradient from zero, so calling it twice gives the same gradients (PyTorch and micrograd add to them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from numbers import Real


class Value:
    """One scalar of a computation graph: its value ``data``, its gradient ``grad`` = ∂root/∂self, how it was made."""

    __slots__ = ("data", "grad", "label", "_op", "_children", "_local", "_constant")

    def __init__(self, data: float, label: str = ""):
        self.data = _finite(data, "data")
        self.grad = 0.0  # ∂root/∂self, filled in by root.backward()
        self.label = label  # a name for diagrams: "w1", "x1", ...
        self._op = ""  # the operation that made this value; "" for a leaf
        self._children: tuple[Value, ...] = ()  # the operation's inputs, in argument order
        self._local: tuple[float, ...] = ()  # ∂self/∂child, one per child: what the chain rule multiplies by
        self._constant = False  # a number the expression wrote, wrapped by an operation (the 2 of 2·x)

    # ---------------------------------------------------------------------------------------------------------
    # Each operation: its value, and beside it the local derivative ∂out/∂input for each input.

    def __add__(self, other: Value | float) -> Value:
        other = _lift(other)
        return _node(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __sub__(self, other: Value | float) -> Value:
        other = _lift(other)
        return _node(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __mul__(self, other: Value | float) -> Value:
        other = _lift(other)
        return _node(self.data * other.data, "*", (self, other), (other.data, self.data))

    def __truediv__(self, other: Value | float) -> Value:
        other = _lift(other)
        q = self.data / other.data  # raises ZeroDivisionError for a zero divisor, as floats do
        return _node(q, "/", (self, other), (1.0 / other.data, -q / other.data))  # ∂(a/b)/∂b = −a/b²

    def __pow__(self, k: float) -> Value:
        if isinstance(k, bool) or not isinstance(k, Real):
            return NotImplemented  # only a number as the exponent: x**2, x**-1, x**0.5
        x, k = self.data, float(k)
        if x < 0 and not k.is_integer():
            raise ValueError(f"{x!r}**{k:g} is not a real number: a negative base needs a whole-number exponent")
        if x == 0 and 0 < k < 1:
            raise ValueError(f"x**{k:g} has an infinite slope at x = 0, so it has no gradient there")
        local = 0.0 if k == 0 else k * x ** (k - 1)  # d(xᵏ)/dx = k·xᵏ⁻¹
        return _node(x**k, f"**{k:g}", (self,), (local,))

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", (self,), (-1.0,))

    def exp(self) -> Value:
        e = math.exp(self.data)
        return _node(e, "exp", (self,), (e,))  # d(eˣ)/dx = eˣ

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number; got {self.data!r}")
        return _node(math.log(self.data), "log", (self,), (1.0 / self.data,))  # d(log x)/dx = 1/x

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _node(t, "tanh", (self,), (1.0 - t * t,))  # d(tanh x)/dx = 1 − tanh²x

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return _node(s, "sigmoid", (self,), (s * (1.0 - s),))  # σ′(x) = σ(x)(1 − σ(x))

    def relu(self) -> Value:
        x = self.data
        return _node(max(x, 0.0), "relu", (self,), (1.0 if x > 0 else 0.0,))  # slope 1 where x > 0, else 0

    def max(self, other: Value | float) -> Value:
        """max(self, other): the gradient goes to the larger input (split evenly on a tie, as PyTorch does)."""
        other = _lift(other)
        a, b = self.data, other.data
        local = (1.0, 0.0) if a > b else (0.0, 1.0) if b > a else (0.5, 0.5)
        return _node(max(a, b), "max", (self, other), local)

    @classmethod
    def constant(cls, x: float, label: str = "") -> Value:
        """A number written into an expression (the 2 of ``2 * x``): a leaf that a diagram draws as a constant."""
        c = cls(x, label=label or format(float(x), "g"))
        c._constant = True
        return c

    # numbers on the left: 1 + a, 1 − a, 2 · a, 1 / a
    def __radd__(self, other: float) -> Value:
        return _lift(other) + self

    def __rsub__(self, other: float) -> Value:
        return _lift(other) - self

    def __rmul__(self, other: float) -> Value:
        return _lift(other) * self

    def __rtruediv__(self, other: float) -> Value:
        return _lift(other) / self

    # ---------------------------------------------------------------------------------------------------------
    def backward(self) -> None:
        """Fill in ``v.grad`` = ∂self/∂v for every node v of the graph below self: the chain rule, node by node.

        Nodes are visited in reverse topological order, so a node's gradient is complete (every node that uses
        it has handed its share back) before the node passes it on to its own inputs.
        """
        order = topological_order(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0  # ∂self/∂self
        for v in reversed(order):
            for child, local in zip(v._children, v._local):
                child.grad += local * v.grad  # local derivative × upstream gradient; += where a child is reused

    # ---------------------------------------------------------------------------------------------------------
    @property
    def op(self) -> str:
        """The operation that made this value: ``+ - * / neg **k exp log tanh sigmoid relu max``; "" for a leaf."""
        return self._op

    @property
    def children(self) -> tuple[Value, ...]:
        """The operation's inputs, in argument order (an input used twice appears twice)."""
        return self._children

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂child for each child, in the order of ``children``."""
        return self._local

    @property
    def is_constant(self) -> bool:
        """True for a number an operation wrapped (the 2 of ``2 * x``), False for a Value made by hand."""
        return self._constant

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def _node(data: float, op: str, children: tuple[Value, ...], local: tuple[float, ...]) -> Value:
    """An operation's output: its value, its inputs and ∂out/∂input for each of them."""
    out = Value.__new__(Value)
    out.data, out.grad, out.label = float(data), 0.0, ""
    out._op, out._children, out._local, out._constant = op, children, tuple(float(g) for g in local), False
    return out


def _lift(x: Value | float) -> Value:
    """A Value as it is; a number as a constant leaf (labelled with the number)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"a Value combines with numbers and Values only; got {type(x).__name__}")
    return Value.constant(x)


def _finite(x, argument: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise ValueError(f"{argument} must be a finite real number; got {x!r}")
    return float(x)


def _sigmoid(x: float) -> float:
    """1 / (1 + e⁻ˣ), without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def topological_order(root: Value) -> list[Value]:
    """Every node below ``root`` once, each after all of its inputs (leaves first, ``root`` last).

    A depth-first walk that visits inputs in argument order, written with an explicit stack so that a deep
    graph (a sum of thousands of terms) does not hit Python's recursion limit.
    """
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, inputs_done = stack.pop()
        if inputs_done:
            order.append(v)
        elif id(v) not in seen:
            seen.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(v._children) if id(c) not in seen)
    return order


# -------------------------------------------------------------------------------------------------------------
# The graph as plain data, for a diagram and for stepping the backward pass.

# The patterns of backward flow a diagram names where they occur (CS231n's "gates"; micrograd's lecture).
PATTERNS = {
    "add_distributes": "+ and − hand their gradient unchanged to each input (local derivative 1; −1 for the "
    "subtracted one): a sum distributes the gradient",
    "multiply_swaps": "× hands each input the gradient times the *other* input: a product swaps its inputs' values",
    "max_routes": "max and relu route the whole gradient to the input that won (relu(x) = max(x, 0)); the loser gets 0",
    "reuse_sums": "a value used in several places gets the sum of what every use hands back (+=)",
}
_PATTERN_OF_OP = {
    "+": "add_distributes",
    "-": "add_distributes",
    "*": "multiply_swaps",
    "max": "max_routes",
    "relu": "max_routes",
}

# The local derivatives of each operation, as a diagram's tooltip writes them (a, b: the inputs).
RULES = {
    "+": "∂(a + b)/∂a = 1,  ∂(a + b)/∂b = 1",
    "-": "∂(a − b)/∂a = 1,  ∂(a − b)/∂b = −1",
    "*": "∂(a·b)/∂a = b,  ∂(a·b)/∂b = a",
    "/": "∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = −a/b²",
    "**": "∂(aᵏ)/∂a = k·aᵏ⁻¹",
    "neg": "∂(−a)/∂a = −1",
    "exp": "∂(eᵃ)/∂a = eᵃ",
    "log": "∂(log a)/∂a = 1/a",
    "tanh": "∂tanh(a)/∂a = 1 − tanh²(a)",
    "sigmoid": "∂σ(a)/∂a = σ(a)(1 − σ(a))",
    "relu": "∂relu(a)/∂a = 1 if a > 0, else 0",
    "max": "∂max(a, b)/∂a = 1 if a > b, 0 if a < b (½ on a tie); likewise for b",
}


def _rule(op: str) -> str:
    return RULES["**" if op.startswith("**") else op] if op else ""


@dataclass(frozen=True)
class TraceNode:
    """One node of a traced graph. ``id`` is its place in topological order (inputs have smaller ids)."""

    id: int
    kind: str  # "input" (a Value made by hand), "constant" (a number an operation wrapped) or "op"
    op: str  # "" for inputs and constants
    label: str
    data: float
    grad: float  # ∂root/∂node as it stands (0 until backward has run)
    children: tuple[int, ...]  # ids of the operation's inputs, in argument order
    local_grads: tuple[float, ...]  # ∂node/∂child per child: what it multiplies its gradient by for each input
    users: tuple[int, ...]  # ids of the nodes that use this one, once per use
    pattern: str | None  # a key of PATTERNS for +, −, ×, max, relu; None otherwise
    rule: str  # the local derivatives in words, e.g. "∂(a·b)/∂a = b,  ∂(a·b)/∂b = a"

    @property
    def reused(self) -> bool:
        """Used more than once: its gradient is a sum over the uses."""
        return len(self.users) > 1


@dataclass(frozen=True)
class TraceEdge:
    """An input → operation edge. Its gradient is what the operation hands that input: local × upstream."""

    source: int  # the input's id
    target: int  # the operation's id
    position: int  # which argument of the operation (0 for a in a·b)
    local_grad: float  # ∂target/∂source
    grad: float  # local_grad × target's grad: this edge's share of the source's gradient


@dataclass(frozen=True)
class Trace:
    """A graph as plain data: nodes in topological order (``nodes[i].id == i``), edges, where patterns occur."""

    nodes: tuple[TraceNode, ...]
    edges: tuple[TraceEdge, ...]
    patterns: tuple[tuple[str, int], ...]  # (key of PATTERNS, node id) for every occurrence

    @property
    def root(self) -> int:
        return len(self.nodes) - 1

    @property
    def backward_order(self) -> tuple[int, ...]:
        """The ids of the operations in the order a backward pass treats them (the root first)."""
        return tuple(n.id for n in reversed(self.nodes) if n.kind == "op")

    def by_label(self, label: str) -> TraceNode:
        """The first node with this label ("w1"); ValueError listing the labels if there is none."""
        for n in self.nodes:
            if n.label == label:
                return n
        labels = sorted({n.label for n in self.nodes if n.label})
        raise ValueError(f"label must be one of {', '.join(labels)}; got {label!r}")


def trace(root: Value) -> Trace:
    """The graph below ``root`` as nodes and edges, with the values and gradients it holds now."""
    if not isinstance(root, Value):
        raise ValueError(f"root must be a Value; got {type(root).__name__}")
    order = topological_order(root)
    ids = {id(v): i for i, v in enumerate(order)}
    users: list[list[int]] = [[] for _ in order]
    edges = []
    for v in order:
        for position, (child, local) in enumerate(zip(v._children, v._local)):
            users[ids[id(child)]].append(ids[id(v)])
            edges.append(TraceEdge(ids[id(child)], ids[id(v)], position, local, local * v.grad))
    nodes = tuple(
        TraceNode(
            id=i,
            kind="op" if v._op else "constant" if v._constant else "input",
            op=v._op,
            label=v.label,
            data=v.data,
            grad=v.grad,
            children=tuple(ids[id(c)] for c in v._children),
            local_grads=v._local,
            users=tuple(users[i]),
            pattern=_PATTERN_OF_OP.get(v._op),
            rule=_rule(v._op),
        )
        for i, v in enumerate(order)
    )
    patterns = []
    for n in nodes:
        if n.pattern:
            patterns.append((n.pattern, n.id))
        if n.reused:
            patterns.append(("reuse_sums", n.id))
    return Trace(nodes, tuple(edges), tuple(patterns))


@dataclass(frozen=True)
class Contribution:
    """What one step of the backward pass adds to one input's gradient."""

    child: Value
    child_id: int
    position: int  # which argument of the operation
    local_grad: float  # ∂node/∂child
    amount: float  # local_grad × upstream: added to child.grad
    before: float  # child.grad before this step
    after: float  # child.grad after it
    accumulates: bool  # True where the child had already received a share: "+=", it is reused
    reused: bool  # the child is used more than once in the graph (its first share starts the sum)


@dataclass(frozen=True)
class BackwardStep:
    """One operation's turn in the backward pass: its complete gradient times each local derivative."""

    index: int  # 0 for the root's step
    node: Value
    node_id: int  # as in trace(root)
    upstream: float  # node.grad = ∂root/∂node, complete at this point
    contributions: tuple[Contribution, ...]
    pattern: str | None  # a key of PATTERNS, or None


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Run ``root.backward()`` one operation at a time, yielding after each what it handed to which input.

    Gradients start from zero and ``root.grad`` is set to 1 before the first step; after the last step every
    gradient equals what ``root.backward()`` gives. Leaves take no step (they have nothing to pass on).
    """
    if not isinstance(root, Value):
        raise ValueError(f"root must be a Value; got {type(root).__name__}")
    order = topological_order(root)
    ids = {id(v): i for i, v in enumerate(order)}
    uses: dict[int, int] = {}
    for v in order:
        v.grad = 0.0
        for c in v._children:
            uses[id(c)] = uses.get(id(c), 0) + 1
    root.grad = 1.0
    received: set[int] = set()
    index = 0
    for v in reversed(order):
        if not v._children:
            continue
        shares = []
        for position, (child, local) in enumerate(zip(v._children, v._local)):
            before = child.grad
            child.grad += local * v.grad
            shares.append(
                Contribution(
                    child,
                    ids[id(child)],
                    position,
                    local,
                    local * v.grad,
                    before,
                    child.grad,
                    accumulates=id(child) in received,
                    reused=uses[id(child)] > 1,
                )
            )
            received.add(id(child))
        yield BackwardStep(index, v, ids[id(v)], v.grad, tuple(shares), _PATTERN_OF_OP.get(v._op))
        index += 1
