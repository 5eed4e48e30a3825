"""explainer.engine.autograd: micrograd's README numbers, PyTorch float64 on random expression graphs, central
differences for every operation, reuse summing, and ``trace`` against ``backward_steps``.

References: Andrej Karpathy, micrograd (README example and test/test_engine.py); CS231n, "Backpropagation,
Intuitions" (the neuron circuit and the patterns of backward flow).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from explainer.autograd import PATTERNS, RULES, Value, backward_steps, topological_order, trace


def micrograd_readme():
    """The example of micrograd's README, line by line."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


# ---------------------------------------------------------------------------------------------- micrograd
def test_micrograd_readme_to_its_printed_digits():
    a, b, g = micrograd_readme()
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"  # the README prints "24.7041, the outcome of this forward pass"
    assert f"{a.grad:.4f}" == "138.8338"  # "138.8338, i.e. the numerical value of dg/da"
    assert f"{b.grad:.4f}" == "645.5773"  # "645.5773, i.e. the numerical value of dg/db"


def test_micrograd_readme_against_torch():
    torch = pytest.importorskip("torch")
    a = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    va, vb, vg = micrograd_readme()
    vg.backward()
    assert vg.data == pytest.approx(g.item(), rel=1e-14)
    assert (va.grad, vb.grad) == pytest.approx((a.grad.item(), b.grad.item()), rel=1e-13)


# ---------------------------------------------------------------------------------------------- CS231n
def test_cs231n_neuron_circuit_gate_by_gate():
    # f = 1 / (1 + exp(−(w0·x0 + w1·x1 + w2))), w = (2, −3, −3), x = (−1, −2)
    w0, w1, w2 = Value(2.0), Value(-3.0), Value(-3.0)
    x0, x1 = Value(-1.0), Value(-2.0)
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.backward()
    assert round(f.data, 2) == 0.73
    assert [round(v.grad, 2) for v in (x0, x1)] == [0.39, -0.59]  # CS231n: dx = [0.39, -0.59]
    assert [round(v.grad, 2) for v in (w0, w1, w2)] == [-0.20, -0.39, 0.20]  # dw = [-0.2, -0.39, 0.2]
    # the sigmoid as one gate gives the same numbers: σ′ = σ(1 − σ) = 0.1966 times each input
    w = [Value(2.0), Value(-3.0), Value(-3.0)]
    x = [Value(-1.0), Value(-2.0)]
    s = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
    s.backward()
    assert s.data == pytest.approx(f.data, rel=1e-15)
    assert [v.grad for v in w + x] == pytest.approx([v.grad for v in (w0, w1, w2, x0, x1)], rel=1e-14)
    assert w[2].grad == pytest.approx(s.data * (1 - s.data), rel=1e-15)


def test_cs231n_patterns_of_backward_flow():
    x, y, z, w = Value(3.0), Value(-4.0), Value(2.0), Value(-1.0)
    f = 2 * (x * y + z.max(w))
    f.backward()
    assert f.data == -20.0
    assert (x.grad, y.grad, z.grad, w.grad) == (-8.0, 6.0, 2.0, 0.0)  # × swaps, max routes
    found = {key for key, _ in trace(f).patterns}
    assert found == {"add_distributes", "multiply_swaps", "max_routes"}


# ---------------------------------------------------------------------------------------------- every operation
UNARY = {
    "neg": lambda v: -v,
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "**3": lambda v: v**3,
    "**0.5": lambda v: v**0.5,
    "**-2": lambda v: v**-2,
    "**0": lambda v: v**0,
    "radd": lambda v: 2.5 + v,
    "rsub": lambda v: 2.5 - v,
    "rmul": lambda v: 2.5 * v,
    "rtruediv": lambda v: 2.5 / v,
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "max": lambda a, b: a.max(b),
}


def central(fn, x: float, h: float = 1e-6) -> float:
    return (fn(x + h) - fn(x - h)) / (2 * h)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [0.7, 1.9, -1.3])
def test_unary_local_derivative_against_central_differences(name, x):
    if name in ("log", "**0.5") and x < 0:
        x = -x
    op = UNARY[name]
    v = Value(x)
    out = op(v)
    out.backward()
    assert v.grad == pytest.approx(central(lambda t: op(Value(t)).data, x), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name", BINARY)
def test_binary_local_derivatives_against_central_differences(name):
    op = BINARY[name]
    a, b = Value(1.3), Value(-0.6)
    op(a, b).backward()
    assert a.grad == pytest.approx(central(lambda t: op(Value(t), Value(-0.6)).data, 1.3), rel=1e-7, abs=1e-9)
    assert b.grad == pytest.approx(central(lambda t: op(Value(1.3), Value(t)).data, -0.6), rel=1e-7, abs=1e-9)


def test_every_operation_has_its_rule_written_out():
    a, b = Value(1.5), Value(0.5)
    made = [op(a) for op in UNARY.values()] + [op(a, b) for op in BINARY.values()]
    ops = {v.op for v in made} - {""}
    assert {"**" if op.startswith("**") else op for op in ops} == set(RULES)
    assert all(trace(v).nodes[-1].rule for v in made)


def test_sigmoid_and_relu_edges():
    big, small = Value(800.0).sigmoid(), Value(-800.0).sigmoid()  # no overflow either way
    assert big.data == 1.0 and small.data == 0.0
    z = Value(0.0)
    z.relu().backward()
    assert z.grad == 0.0  # as PyTorch: relu′(0) = 0
    a, b = Value(1.0), Value(1.0)
    a.max(b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)  # a tie splits evenly, as torch.maximum does


# ---------------------------------------------------------------------------------------------- reuse
def test_a_reused_node_sums_its_gradients():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0  # d(x²)/dx = 2x: both uses hand back x
    y = Value(-2.0)
    f = x * y + x + x.exp()  # three uses of x
    f.backward()
    assert x.grad == pytest.approx(y.data + 1 + math.exp(3.0))
    assert y.grad == 3.0


def test_backward_starts_from_zero_every_time():
    a, b, g = micrograd_readme()
    g.backward()
    first = (a.grad, b.grad, g.grad)
    g.backward()
    assert (a.grad, b.grad, g.grad) == first  # not doubled


def test_a_deep_graph_does_not_hit_the_recursion_limit():
    x = Value(0.5)
    total = Value(0.0)
    for _ in range(5000):
        total = total + x
    total.backward()
    assert total.data == 2500.0 and x.grad == 5000.0
    assert len(topological_order(total)) == 5002


# ---------------------------------------------------------------------------------------------- refusals
def test_values_are_checked_at_the_door():
    for bad in ("1", None, True, math.nan, math.inf):
        with pytest.raises(ValueError, match="data must be a finite real number"):
            Value(bad)
    with pytest.raises(TypeError, match="numbers and Values only"):
        Value(1.0) + "2"
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)  # the exponent must be a number
    with pytest.raises(ValueError, match="log needs a positive number"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="whole-number exponent"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="infinite slope"):
        Value(0.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="root must be a Value"):
        trace(3.0)
    with pytest.raises(ValueError, match="root must be a Value"):
        next(backward_steps(3.0))


# ---------------------------------------------------------------------------------------------- random graphs
# Each operation in both worlds; the domains are kept safe by construction (log and / of a positive number).
def _ops(torch=None):
    if torch is None:
        exp, log, tanh, sig, relu = Value.exp, Value.log, Value.tanh, Value.sigmoid, Value.relu
        maximum = Value.max
    else:
        exp, log, tanh, sig, relu, maximum = torch.exp, torch.log, torch.tanh, torch.sigmoid, torch.relu, torch.maximum
    return {
        "+": (2, lambda a, b, c: a + b),
        "-": (2, lambda a, b, c: a - b),
        "*": (2, lambda a, b, c: a * b),
        "/": (2, lambda a, b, c: a / (b * b + 0.5)),
        "max": (2, lambda a, b, c: maximum(a, b)),
        "neg": (1, lambda a, b, c: -a),
        "exp": (1, lambda a, b, c: exp(tanh(a))),
        "log": (1, lambda a, b, c: log(a * a + 0.3)),
        "tanh": (1, lambda a, b, c: tanh(a)),
        "sigmoid": (1, lambda a, b, c: sig(a)),
        "relu": (1, lambda a, b, c: relu(a)),
        "**2": (1, lambda a, b, c: a**2),
        "**3": (1, lambda a, b, c: a**3),
        "**0.5": (1, lambda a, b, c: (a * a + 0.2) ** 0.5),
        "**-1": (1, lambda a, b, c: (a * a + 0.5) ** -1),
        "radd": (1, lambda a, b, c: c + a),
        "rsub": (1, lambda a, b, c: c - a),
        "rmul": (1, lambda a, b, c: c * a),
        "rtruediv": (1, lambda a, b, c: c / (a * a + 0.5)),
    }


def random_program(rng: np.random.Generator, n_leaves: int, n_ops: int) -> list[tuple[str, int, int, float]]:
    """(op, first input, second input, constant) per step; inputs index the leaves and the earlier steps."""
    names = list(_ops())
    program = []
    for k in range(n_ops):
        pool = n_leaves + k
        # lean towards recent results so the graph is deep, yet reuse earlier ones (a node used twice)
        i, j = (int(pool - 1 - min(rng.geometric(0.35) - 1, pool - 1)) for _ in range(2))
        program.append((names[int(rng.integers(len(names)))], i, j, float(rng.uniform(-2, 2))))
    return program


def run(program, leaves, ops):
    pool = list(leaves)
    for op, i, j, c in program:
        pool.append(ops[op][1](pool[i], pool[j], c))
    return pool[-1]


def value_graph(program, xs):
    leaves = [Value(x) for x in xs]
    root = run(program, leaves, _ops())
    return root, leaves


def graphs(n: int):
    rng = np.random.default_rng(2024)
    made = 0
    while made < n:
        xs = rng.uniform(-2, 2, size=int(rng.integers(2, 6)))
        program = random_program(rng, len(xs), int(rng.integers(3, 25)))
        root, _ = value_graph(program, xs)
        if all(abs(v.data) < 1e6 for v in topological_order(root)):  # keep clear of overflow
            made += 1
            yield program, xs


CASES = list(graphs(150))


def test_random_graphs_reuse_nodes_and_cover_every_operation():
    used = {op for program, _ in CASES for op, *_ in program}
    assert used == set(_ops())
    reused = sum(any(n.reused for n in trace(value_graph(p, xs)[0]).nodes) for p, xs in CASES)
    assert reused > len(CASES) // 2


@pytest.mark.parametrize("case", range(len(CASES)))
def test_random_graph_against_torch_float64(case):
    torch = pytest.importorskip("torch")
    program, xs = CASES[case]
    root, leaves = value_graph(program, xs)
    root.backward()
    t_leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_root = run(program, t_leaves, _ops(torch))
    if t_root.requires_grad:
        t_root.backward()
    t_grads = [0.0 if t.grad is None else t.grad.item() for t in t_leaves]
    assert root.data == pytest.approx(t_root.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose([v.grad for v in leaves], t_grads, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", range(0, len(CASES), 5))
def test_random_graph_against_central_differences(case):
    program, xs = CASES[case]
    root, leaves = value_graph(program, xs)
    root.backward()
    for k, x in enumerate(xs):

        def at(t, k=k):
            moved = list(xs)
            moved[k] = t
            return value_graph(program, moved)[0].data

        h = 1e-6 * max(1.0, abs(x))
        assert leaves[k].grad == pytest.approx(central(at, x, h), rel=1e-5, abs=1e-6)


# ---------------------------------------------------------------------------------------------- trace and steps
def test_trace_is_plain_data_in_topological_order():
    a, b, g = micrograd_readme()
    g.backward()
    t = trace(g)
    assert [n.id for n in t.nodes] == list(range(len(t.nodes))) and t.root == len(t.nodes) - 1
    assert t.nodes[t.root].grad == 1.0 and t.nodes[t.root].data == g.data
    for n in t.nodes:
        assert all(c < n.id for c in n.children)  # inputs come first
        assert len(n.children) == len(n.local_grads)
        assert (n.kind == "op") == bool(n.op) == bool(n.children)
    a_node, b_node = t.nodes[0], t.nodes[1]  # the first leaves reached, in argument order
    assert (a_node.data, a_node.grad, b_node.data, b_node.grad) == (-4.0, a.grad, 2.0, b.grad)
    assert {n.kind for n in t.nodes} == {"input", "constant", "op"}
    assert sorted(n.label for n in t.nodes if n.kind == "constant") == ["1", "1", "10", "2", "2", "3"]
    # edges: one per input of every operation, with its share of the gradient
    assert len(t.edges) == sum(len(n.children) for n in t.nodes)
    for e in t.edges:
        target = t.nodes[e.target]
        assert target.children[e.position] == e.source
        assert e.local_grad == target.local_grads[e.position]
        assert e.grad == pytest.approx(e.local_grad * target.grad)
    for n in t.nodes[:-1]:  # each gradient is the sum of its edges' shares
        assert n.grad == pytest.approx(sum(e.grad for e in t.edges if e.source == n.id), rel=1e-12)
        assert list(n.users) == [e.target for e in t.edges if e.source == n.id]


def test_trace_names_the_patterns_where_they_occur():
    x, y = Value(3.0, "x"), Value(-2.0, "y")
    f = (x * y + x).relu() - y
    f.backward()
    t = trace(f)
    where = {(key, t.nodes[i].label or t.nodes[i].op) for key, i in t.patterns}
    assert where == {
        ("multiply_swaps", "*"),
        ("add_distributes", "+"),
        ("add_distributes", "-"),
        ("max_routes", "relu"),
        ("reuse_sums", "x"),
        ("reuse_sums", "y"),
    }
    assert t.by_label("x").reused and not t.nodes[t.root].reused
    assert set(PATTERNS) == {"add_distributes", "multiply_swaps", "max_routes", "reuse_sums"}
    with pytest.raises(ValueError, match="label must be one of x, y"):
        t.by_label("z")


def test_backward_steps_agree_with_backward_and_trace():
    for program, xs in CASES[:40]:
        root, leaves = value_graph(program, xs)
        root.backward()
        expected = {id(v): v.grad for v in topological_order(root)}
        t = trace(root)
        root.grad = 123.0  # the steps start from zero, whatever was there
        steps = list(backward_steps(root))
        assert [s.node_id for s in steps] == list(t.backward_order)
        assert [s.index for s in steps] == list(range(len(steps)))
        assert all(v.grad == expected[id(v)] for v in topological_order(root))  # the same numbers, exactly
        received: dict[int, int] = {}
        for s in steps:
            node = t.nodes[s.node_id]
            assert s.upstream == node.grad and s.pattern == node.pattern
            for c in s.contributions:
                edge = next(e for e in t.edges if e.target == s.node_id and e.position == c.position)
                assert c.child_id == edge.source and c.local_grad == edge.local_grad
                assert c.amount == pytest.approx(edge.grad, rel=1e-15, abs=0)
                assert c.after == c.before + c.amount
                assert c.accumulates == (received.get(c.child_id, 0) > 0)  # "+=" from the second share on
                assert c.reused == t.nodes[c.child_id].reused
                received[c.child_id] = received.get(c.child_id, 0) + 1
        assert received == {n.id: len(n.users) for n in t.nodes if n.users}


def test_backward_steps_can_stop_half_way():
    x, y = Value(2.0), Value(3.0)
    f = (x * y).tanh() + x
    steps = backward_steps(f)
    first = next(steps)
    assert first.node is f and first.upstream == 1.0
    assert [c.amount for c in first.contributions] == [1.0, 1.0]  # + hands 1·1 to both inputs
    assert x.grad == 1.0 and y.grad == 0.0  # only the first share has arrived
    second = next(steps)  # tanh: 1 − tanh² times 1
    assert second.contributions[0].amount == pytest.approx(1 - math.tanh(6.0) ** 2)
    third = next(steps)  # ×: each input gets the other times the upstream
    share_x = next(c for c in third.contributions if c.child is x)
    assert share_x.accumulates and share_x.reused and share_x.before == 1.0
    with pytest.raises(StopIteration):
        next(steps)
