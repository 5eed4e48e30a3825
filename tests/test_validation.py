"""Bad input across the engine: every public entry point raises ValueError naming the argument
(and, for names, listing the allowed values) — never a TypeError, an IndexError or a silent NaN.
"""

import numpy as np
import pytest

from explainer import SCENARIOS, Adam, Momentum, Network, get_scenario, gradcheck, make_optimizer, train
from explainer.engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from explainer.engine.losses import LOSSES
from explainer.engine.training import OPTIMIZERS


def net_2_3_1():
    return Network([2, 3, 1], seed=0)


def softmax_net():
    return Network([2, 3, 3], output_activation="softmax", loss="cross_entropy", seed=0)


X = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])
Y = np.array([0.0, 1.0, 1.0, 0.0])

# (id, call, fragments the message must contain)
CASES = [
    # --- Network(sizes=...)
    ("sizes empty", lambda: Network([]), ["sizes", "at least 2"]),
    ("sizes one entry", lambda: Network([3]), ["sizes", "at least 2"]),
    ("sizes zero", lambda: Network([2, 0, 1]), ["sizes[1]", "from 1 to 4,096"]),
    ("sizes negative", lambda: Network([2, -3]), ["sizes[1]", "from 1 to 4,096"]),
    ("sizes too wide", lambda: Network([2, 5000]), ["sizes[1]", "from 1 to 4,096"]),
    ("sizes too many parameters", lambda: Network([4096, 4096]), ["sizes", "at most 1,000,000"]),
    ("sizes float", lambda: Network([2, 2.5, 1]), ["sizes[1]", "integer"]),
    ("sizes string entry", lambda: Network([2, "3"]), ["sizes[1]", "integer"]),
    ("sizes bool entry", lambda: Network([2, True]), ["sizes[1]"]),
    ("sizes string", lambda: Network("2,3"), ["sizes", "list of layer widths"]),
    ("sizes None", lambda: Network(None), ["sizes"]),
    # --- activations and losses
    ("unknown activation", lambda: Network([2, 3, 1], activation="swish"), ["activation", *HIDDEN_ACTIVATIONS]),
    ("softmax hidden", lambda: Network([2, 3, 1], activation="softmax"), ["activation", "sigmoid"]),
    ("activation list length", lambda: Network([2, 3, 3, 1], activation=["tanh"]), ["activation", "2 names"]),
    ("activation list entry", lambda: Network([2, 3, 3, 1], activation=["tanh", "nope"]), ["activation[1]"]),
    (
        "unknown output_activation",
        lambda: Network([2, 3, 1], output_activation="gelu"),
        ["output_activation", *OUTPUT_ACTIVATIONS],
    ),
    ("unknown loss", lambda: Network([2, 3, 1], loss="hinge"), ["loss", *LOSSES]),
    ("bce without sigmoid", lambda: Network([2, 3, 1], output_activation="tanh", loss="bce"), ["loss", "sigmoid"]),
    (
        "cross_entropy without softmax",
        lambda: Network([2, 3, 2], output_activation="sigmoid", loss="cross_entropy"),
        ["loss", "softmax"],
    ),
    ("softmax with 1 output", lambda: Network([2, 3, 1], output_activation="softmax"), ["softmax", "2 outputs"]),
    ("unknown init", lambda: Network([2, 1], init="lecun"), ["init", "xavier", "he"]),
    ("seed negative", lambda: Network([2, 1], seed=-1), ["seed"]),
    ("seed float", lambda: Network([2, 1], seed=0.5), ["seed"]),
    ("seed string", lambda: Network([2, 1], seed="abc"), ["seed"]),
    ("reinitialize seed", lambda: net_2_3_1().reinitialize(-2), ["seed"]),
    # --- X
    ("X wrong feature count", lambda: net_2_3_1().forward(np.ones((4, 3))), ["X", "2 feature columns"]),
    ("X NaN", lambda: net_2_3_1().forward([[np.nan, 0.0]]), ["X", "finite"]),
    ("X inf", lambda: net_2_3_1().backprop([[np.inf, 0.0]], [1.0]), ["X", "finite"]),
    ("X empty", lambda: net_2_3_1().forward(np.ones((0, 2))), ["X", "empty"]),
    ("X 3-D", lambda: net_2_3_1().forward(np.ones((2, 2, 2))), ["X", "1-D or 2-D"]),
    ("X text", lambda: net_2_3_1().forward("ab"), ["X", "numbers"]),
    ("X ragged", lambda: net_2_3_1().forward([[1.0, 2.0], [3.0]]), ["X"]),
    # --- y
    ("y wrong length", lambda: net_2_3_1().backprop(X, Y[:3]), ["y", "(4, 1)"]),
    ("y wrong width", lambda: net_2_3_1().backprop(X, np.ones((4, 2))), ["y", "(4, 1)"]),
    ("y NaN", lambda: net_2_3_1().backprop(X, [0.0, np.nan, 1.0, 0.0]), ["y", "finite"]),
    ("y 3-D", lambda: net_2_3_1().backprop(X, np.ones((4, 1, 1))), ["y"]),
    ("y loss_value", lambda: net_2_3_1().loss_value(X, Y[:2]), ["y"]),
    ("labels out of range", lambda: softmax_net().backprop(X, [0, 1, 3, 1]), ["y", "class labels 0 to 2"]),
    ("labels negative", lambda: softmax_net().backprop(X, [0, -1, 2, 1]), ["y", "class labels"]),
    ("labels fractional", lambda: softmax_net().backprop(X, [0, 1, 1.5, 1]), ["y", "class labels"]),
    ("labels too few", lambda: softmax_net().backprop(X, [0, 1]), ["y"]),
    # --- parameters by name
    ("get unknown name", lambda: net_2_3_1().get("W3[0,0]"), ["parameter name", "W1[0,0]", "b2[0]"]),
    ("get out of range", lambda: net_2_3_1().get("W1[5,0]"), ["parameter name", "W1[0,0]"]),
    ("set unknown name", lambda: net_2_3_1().set("c1[0]", 1.0), ["parameter name"]),
    ("set NaN", lambda: net_2_3_1().set("W1[0,0]", np.nan), ["value", "finite"]),
    ("set inf", lambda: net_2_3_1().set("b1[0]", np.inf), ["value", "finite"]),
    ("set vector", lambda: net_2_3_1().set("b1[0]", [1.0, 2.0]), ["value"]),
    ("freeze unknown name", lambda: net_2_3_1().freeze("W1[9,9]"), ["freeze", "parameter name"]),
    ("freeze unknown tensor", lambda: net_2_3_1().freeze("W7"), ["freeze", "1 to 2"]),
    ("freeze nonsense", lambda: net_2_3_1().freeze("weights"), ["freeze"]),
    ("unfreeze unknown name", lambda: net_2_3_1().unfreeze("b5[0]"), ["unfreeze"]),
    ("set_parameters length", lambda: net_2_3_1().set_parameters([1.0, 2.0]), ["parameters", "length 13"]),
    ("set_parameters NaN", lambda: net_2_3_1().set_parameters([np.nan] * 13), ["parameters", "finite"]),
    ("weights[0] shape", lambda: net_2_3_1().weights.__setitem__(0, np.ones((3, 2))), ["weights[0]", "(2, 3)"]),
    ("biases[1] NaN", lambda: net_2_3_1().biases.__setitem__(1, [np.nan]), ["biases[1]", "finite"]),
    # --- train
    ("train lr zero", lambda: train(net_2_3_1(), X, Y, lr=0), ["lr", "> 0"]),
    ("train lr negative", lambda: train(net_2_3_1(), X, Y, lr=-0.1), ["lr", "> 0"]),
    ("train lr NaN", lambda: train(net_2_3_1(), X, Y, lr=np.nan), ["lr"]),
    ("train lr inf", lambda: train(net_2_3_1(), X, Y, lr=np.inf), ["lr"]),
    ("train lr string", lambda: train(net_2_3_1(), X, Y, lr="0.1"), ["lr"]),
    ("train steps negative", lambda: train(net_2_3_1(), X, Y, steps=-1), ["steps", "from 0 to 1,000,000"]),
    ("train steps huge", lambda: train(net_2_3_1(), X, Y, steps=2**40), ["steps", "from 0 to 1,000,000"]),
    ("train steps float", lambda: train(net_2_3_1(), X, Y, steps=2.5), ["steps"]),
    ("train batch_size zero", lambda: train(net_2_3_1(), X, Y, batch_size=0), ["batch_size", "≥ 1"]),
    ("train batch_size float", lambda: train(net_2_3_1(), X, Y, batch_size=1.5), ["batch_size"]),
    ("train unknown optimizer", lambda: train(net_2_3_1(), X, Y, optimizer="rmsprop"), ["optimizer", *OPTIMIZERS]),
    ("train momentum beta 1", lambda: train(net_2_3_1(), X, Y, optimizer="momentum", beta=1.0), ["beta", "[0"]),
    ("train momentum beta<0", lambda: train(net_2_3_1(), X, Y, optimizer="momentum", beta=-0.5), ["beta"]),
    ("train adam beta1", lambda: train(net_2_3_1(), X, Y, optimizer="adam", beta1=1.5), ["beta1"]),
    ("train adam beta2 NaN", lambda: train(net_2_3_1(), X, Y, optimizer="adam", beta2=np.nan), ["beta2"]),
    ("train adam eps", lambda: train(net_2_3_1(), X, Y, optimizer="adam", eps=0.0), ["eps"]),
    ("train sgd with beta", lambda: train(net_2_3_1(), X, Y, optimizer="sgd", beta=0.9), ["optimizer", "beta"]),
    (
        "train options with instance",
        lambda: train(net_2_3_1(), X, Y, optimizer=Momentum(0.1), beta=0.5),
        ["optimizer options"],
    ),
    ("train X_test without y_test", lambda: train(net_2_3_1(), X, Y, X_test=X), ["X_test", "y_test"]),
    ("train y_test without X_test", lambda: train(net_2_3_1(), X, Y, y_test=Y), ["X_test", "y_test"]),
    ("train X_test features", lambda: train(net_2_3_1(), X, Y, X_test=np.ones((2, 5)), y_test=[0, 1]), ["X_test"]),
    ("train y_test shape", lambda: train(net_2_3_1(), X, Y, X_test=X, y_test=[0, 1]), ["y_test"]),
    ("train X NaN", lambda: train(net_2_3_1(), [[np.nan, 0.0]], [1.0]), ["X", "finite"]),
    ("train seed", lambda: train(net_2_3_1(), X, Y, seed=-5), ["seed"]),
    ("train callback", lambda: train(net_2_3_1(), X, Y, callback="print"), ["callback"]),
    ("train net", lambda: train("net", X, Y), ["net", "Network"]),
    ("make_optimizer name", lambda: make_optimizer("lbfgs"), ["optimizer", "sgd", "momentum", "adam"]),
    ("make_optimizer lr", lambda: make_optimizer("sgd", lr=0.0), ["lr"]),
    ("Momentum beta", lambda: Momentum(0.1, beta=1.0), ["beta"]),
    ("Adam eps", lambda: Adam(0.1, eps=-1.0), ["eps"]),
    # --- gradcheck
    ("gradcheck h zero", lambda: gradcheck(net_2_3_1(), X, Y, h=0.0), ["h", "> 0"]),
    ("gradcheck h negative", lambda: gradcheck(net_2_3_1(), X, Y, h=-1e-3), ["h", "> 0"]),
    ("gradcheck order 3", lambda: gradcheck(net_2_3_1(), X, Y, order=3), ["order", "2 or 4"]),
    ("gradcheck floor", lambda: gradcheck(net_2_3_1(), X, Y, floor=0.0), ["floor"]),
    ("gradcheck net", lambda: gradcheck(None, X, Y), ["net", "Network"]),
    ("gradcheck X", lambda: gradcheck(net_2_3_1(), np.ones((4, 3)), Y), ["X"]),
    ("gradcheck order bool", lambda: gradcheck(net_2_3_1(), X, Y, order=True), ["order", "2 or 4"]),
    ("gradcheck big network", lambda: gradcheck(Network([100, 100, 2]), np.ones((1, 100)), [0, 0]), ["net", "10,000"]),
    ("lr huge int", lambda: train(net_2_3_1(), X, Y, lr=10**400), ["lr", "digits"]),
    ("make_optimizer typo", lambda: make_optimizer("adam", beta=0.9), ["optimizer 'adam' does not take beta"]),
    # --- records and scenarios
    ("updated_parameters lr", lambda: net_2_3_1().backprop(X, Y).updated_parameters(0.0), ["lr", "> 0"]),
    ("updated_parameters NaN", lambda: net_2_3_1().backprop(X, Y).updated_parameters(np.nan), ["lr"]),
    ("get_scenario unknown", lambda: get_scenario("mnist"), ["scenario", *SCENARIOS]),
    ("get_scenario None", lambda: get_scenario(None), ["scenario"]),
]


@pytest.mark.parametrize(("call", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_value_error_naming_the_argument(call, fragments):
    with pytest.raises(ValueError) as err:
        call()
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


def test_validation_leaves_the_network_unchanged():
    net = net_2_3_1()
    before = net.parameters
    for bad in (lambda: net.set("W1[0,0]", np.nan), lambda: net.set_parameters([np.inf] * 13)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError):
        net.weights[0] = np.full((2, 3), np.nan)
    with pytest.raises(ValueError):
        train(net, X, Y, lr=-1.0)
    np.testing.assert_array_equal(net.parameters, before)


def test_valid_edge_values_are_accepted():
    """The boundaries themselves are allowed: steps=0, beta=0, batch_size=1, a numpy seed, numpy ints."""
    net = Network([np.int64(2), 3, 1], seed=np.random.default_rng(1))
    assert len(train(net, X, Y, steps=0)) == 1
    assert len(train(net, X, Y, optimizer="momentum", beta=0.0, steps=2, batch_size=1)) == 3
    assert net.backprop(X[0], 1.0).n_samples == 1
    assert make_optimizer("adam", 0.1, beta1=0.0).beta1 == 0.0


# ---------------------------------------------------------------------------------------------
# Bugs found: wrong exception type or a message that does not name the argument


def test_non_iterable_activation_raises_value_error():
    with pytest.raises(ValueError, match="activation"):
        Network([2, 3, 1], activation=5)


def test_non_numeric_beta_is_named():
    with pytest.raises(ValueError) as err:
        train(net_2_3_1(), X, Y, optimizer="momentum", beta="high")
    assert "beta must be" in str(err.value)


def test_updated_parameters_rejects_text():
    with pytest.raises(ValueError, match="lr"):
        net_2_3_1().backprop(X, Y).updated_parameters("0.5")
