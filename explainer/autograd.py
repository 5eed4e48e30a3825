"""``explainer.autograd``: a scalar autograd ``Value`` and the expressions a learner types, in one import.

The code lives in two places, by the house's layers: the engine, ``explainer/engine/autograd.py`` (``Value``
with each operation's local derivative beside its value, ``backward``, ``trace``, ``backward_steps``), and the
course, ``explainer/course/expressions.py`` (``parse_expression``, a safe reader of typed expressions, the
named ``EXAMPLES``, and ``neuron_expression`` for one neuron of a network's record). This module only
re-exports them::

    from explainer.autograd import Value, parse_expression, trace
"""

from .course.expressions import (
    EXAMPLES,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    Example,
    ExpressionError,
    neuron_expression,
    parse_example,
    parse_expression,
)
from .engine.autograd import (
    PATTERNS,
    RULES,
    BackwardStep,
    Contribution,
    Trace,
    TraceEdge,
    TraceNode,
    Value,
    backward_steps,
    topological_order,
    trace,
)

__all__ = [
    "EXAMPLES",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "PATTERNS",
    "RULES",
    "BackwardStep",
    "Contribution",
    "Example",
    "ExpressionError",
    "Trace",
    "TraceEdge",
    "TraceNode",
    "Value",
    "backward_steps",
    "neuron_expression",
    "parse_example",
    "parse_expression",
    "topological_order",
    "trace",
]
