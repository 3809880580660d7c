"""Any one-input op (built-in or made with primitive()), or a function of a Value, as a
neuron's activation: forward, gradients, fast inference, labels, pickling and save/load."""

from __future__ import annotations

import json
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Op, Value, gradcheck, gradgradcheck, ops, primitive, sigmoid
from nn import MLP, Layer, Neuron, load
from nn.io import from_json, to_json
from nn.module import get_activation

NEW = ["leaky_relu", "elu", "softplus", "gelu", "leaky_relu(slope=0.2)", "elu(alpha=0.5)"]
# A user's op, registered as a notebook would: by name, usable and saveable by that name.
swish = primitive(
    "test_activations_swish", lambda x: x * ops._sigmoid(x),
    lambda x, out: sigmoid(x) * (1 + x * (1 - sigmoid(x))),
)


def net(activation, output_activation="linear", seed=0):
    return MLP(2, [3, 2], activation=activation, output_activation=output_activation, seed=seed)


@pytest.mark.parametrize("name", NEW)
def test_new_activations_by_name(name):
    model = net(name)
    out = model([0.5, -1.5])[0]
    hidden = out.parents[3]  # L0.n0.out, the activation node
    assert hidden.op == name and hidden.label == "L0.n0.out"
    assert hidden.parents[0].op == "dot" and hidden.parents[0].label == "L0.n0.z"
    assert model.activation == name and model.layers[0].neurons[0].activation == name
    # predict_one computes what the graph computes
    assert model.predict_one([0.5, -1.5]) == [v.data for v in model([0.5, -1.5])]


@pytest.mark.parametrize("name", [*NEW, "test_activations_swish"])
@settings(max_examples=15, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3))
def test_network_gradients_pass_both_checks(name, a, b):
    model = MLP(2, [2, 1], activation=name, seed=3)

    def f(x0, x1):
        return model([x0, x1])

    # Away from the kinks of leaky_relu and elu (at a pre-activation of 0).
    zs = [n._forward_floats([a, b]) for n in model.layers[0].neurons]
    if name.startswith(("leaky", "elu")) and any(abs(z) < 1e-3 for z in zs):
        return
    assert gradcheck(f, a, b)
    assert gradgradcheck(f, a, b)


@pytest.mark.parametrize("name", [*NEW, "test_activations_swish"])
def test_named_activations_round_trip_through_save_and_load(name, tmp_path):
    model = net(name, output_activation=name)
    path = tmp_path / "m.json"
    model.save(path)
    saved = json.loads(path.read_text())["architecture"]["config"]
    assert saved["activation"] == name and saved["output_activation"] == name
    loaded = load(path)
    assert loaded.activation == name
    assert loaded.predict_one([0.3, 0.7]) == model.predict_one([0.3, 0.7])
    assert [v.data for v in loaded([0.3, 0.7])] == [v.data for v in model([0.3, 0.7])]
    # pickling finds the activation again by name, too
    again = pickle.loads(pickle.dumps(model))
    assert [v.data for v in again([0.3, 0.7])] == [v.data for v in model([0.3, 0.7])]


def test_ops_themselves_are_accepted_and_named():
    assert net(ops.gelu).activation == "gelu"
    assert net(swish).activation == "test_activations_swish"
    assert net(ops.leaky_relu.at(slope=0.2)).activation == "leaky_relu(slope=0.2)"
    # another spelling of the default is the default op
    assert net("leaky_relu(slope=0.01)").activation == "leaky_relu"
    assert net(None).activation == "linear"
    # relu, tanh and sigmoid, by name or as ops, run the Value methods: the fast path
    for spec in ("relu", ops.relu):
        assert Neuron(2, spec)._act is Value.relu
    assert Neuron(2, ops.tanh).activation == "tanh"
    assert net("tanh").layers[0].neurons[0]._act is Value.tanh
    # built-in ops of one input that are not classic activations work too
    assert net("sin")([0.1, 0.2])[0].parents[3].op == "sin"


def test_tanh_as_an_op_keeps_xavier_initialisation():
    by_name = [p.data for p in MLP(4, [8, 1], activation="tanh", seed=1).parameters()]
    by_op = [p.data for p in MLP(4, [8, 1], activation=ops.tanh, seed=1).parameters()]
    assert by_name == by_op


def test_a_function_of_a_value_is_an_activation_but_cannot_be_saved(tmp_path):
    def silu(v):
        return v * v.sigmoid()

    model = net(silu)
    out = model([1.0, -2.0])[0]
    assert out.parents[3].label == "L0.n0.out"  # the function's last node carries the label
    assert model.predict_one([1.0, -2.0]) == [v.data for v in model([1.0, -2.0])]
    assert "silu" in repr(model)
    path = tmp_path / "m.json"
    with pytest.raises(ValueError, match=r"activation of the model is .*silu.*no registered "
                       r"name.*primitive\("):
        model.save(path)
    assert not path.exists()
    lam = Layer(2, 2, activation=lambda v: v.tanh())
    with pytest.raises(ValueError, match=r"<lambda>.*no registered name"):
        to_json(lam)


def test_an_unregistered_op_works_but_cannot_be_saved():
    square = Op("test_activations_square", lambda x: x * x, [lambda x, out: 2 * x], arity=1)
    model = net(square)
    assert model([1.0, 2.0])[0].parents[3].op == "test_activations_square"
    with pytest.raises(ValueError, match=r"test_activations_square.*no registered name"):
        to_json(model)


def test_bad_activations_are_refused_clearly():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*'gelu'.*function of one"):
        net("swish")
    with pytest.raises(ValueError, match="takes 2 inputs"):
        net(ops.mul)
    with pytest.raises(ValueError, match="unknown activation"):
        net("+")
    with pytest.raises(ValueError, match="unknown activation"):
        net("leaky_relu(slope=nan)")
    with pytest.raises(TypeError, match="activation must be a str, an op or a function"):
        net(3)
    with pytest.raises(TypeError, match=r"returned float.*not a Value"):
        net(lambda v: max(v.data, 0.0))([1.0, 1.0])


def test_loading_an_activation_that_is_not_registered_here_says_what_to_do():
    text = to_json(net("gelu")).replace('"gelu"', '"test_activations_not_defined"')
    with pytest.raises(ValueError, match=r"unknown activation 'test_activations_not_defined'.*"
                       r"import the code that defines it"):
        from_json(text)
    with pytest.raises(ValueError, match="unknown activation"):
        from_json(to_json(net("gelu")).replace('"gelu"', '"+"'))


def test_leaky_relu_slope_reaches_the_gradient():
    n = Neuron(1, "leaky_relu(slope=0.2)", seed=0)
    n.w[0].data = 1.0
    out = n([-2.0])
    assert out.data == pytest.approx(-0.4)
    out.backward()
    assert n.w[0].grad == pytest.approx(0.2 * -2.0)
    assert math.isclose(ops.leaky_relu(-2.0, slope=0.2), -0.4)
    assert get_activation("elu(alpha=0.5)").fn is ops.elu.at(alpha=0.5)
