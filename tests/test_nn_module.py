"""nn.module: Neuron, Layer, MLP: layout, forward, gradients, validation, state."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Value
from nn import MLP, Layer, Neuron
from nn.datasets import make_moons


def _relu(x):
    return x if x > 0 else 0.0


def _reference_forward(values, sizes, x, hidden=_relu, last=lambda v: v):
    """Plain-float MLP in micrograd's parameter order: per layer, per neuron, weights then b."""
    it = iter(values)
    h = list(x)
    for li, size in enumerate(sizes):
        act = last if li == len(sizes) - 1 else hidden
        nxt = []
        for _ in range(size):
            ws = [next(it) for _ in h]
            b = next(it)
            nxt.append(act(b + sum(w * v for w, v in zip(ws, h, strict=True))))
        h = nxt
    return h


def test_parameter_count_and_micrograd_order():
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    assert len(params) == 16 * 3 + 16 * 17 + 17
    # micrograd's order: per layer, per neuron, weights then bias
    expected = []
    for layer in model.layers:
        for n in layer.neurons:
            expected += [*n.w, n.b]
    assert all(a is b for a, b in zip(params, expected, strict=True))
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert len(set(names)) == len(names)


def test_forward_matches_plain_float_reference():
    rng = random.Random(7)
    model = MLP(3, [5, 4, 2])
    values = [rng.uniform(-1, 1) for _ in model.parameters()]
    for p, v in zip(model.parameters(), values, strict=True):
        p.data = v
    for _ in range(5):
        x = [rng.uniform(-2, 2) for _ in range(3)]
        out = model(x)
        ref = _reference_forward(values, [5, 4, 2], x)
        assert isinstance(out, list) and len(out) == 2
        for o, r in zip(out, ref, strict=True):
            assert math.isclose(o.data, r, rel_tol=1e-12, abs_tol=1e-12)
        fast = model.predict_one(x)
        assert fast == [o.data for o in out]  # same order of operations: bit for bit


def test_matches_micrograd_forward_when_available():
    mg_nn = pytest.importorskip("micrograd.nn")
    ours = MLP(2, [16, 16, 1])
    theirs = mg_nn.MLP(2, [16, 16, 1])
    rng = random.Random(3)
    values = [rng.uniform(-1, 1) for _ in ours.parameters()]
    assert len(theirs.parameters()) == len(values)
    for p, v in zip(ours.parameters(), values, strict=True):
        p.data = v
    for p, v in zip(theirs.parameters(), values, strict=True):
        p.data = v
    X, _ = make_moons(10)
    for x in X:
        assert math.isclose(ours(x).data, theirs(x).data, rel_tol=1e-12, abs_tol=1e-12)


def test_neuron_is_one_dot_node_then_activation():
    n = Neuron(4, activation="tanh", seed=1)
    x = [Value(float(i)) for i in range(4)]
    out = n(x)
    assert out.op == "tanh"
    (z,) = out.parents
    assert z.op == "dot"
    assert len(z.parents) == 9 and z.parents[:4] == tuple(n.w) and z.parents[8] is n.b
    assert MLP(2, [1], seed=0)([1.0, 2.0]).op == "dot"  # linear output layer


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_parameter_gradients_match_finite_differences(activation):
    model = MLP(3, [4, 2], activation=activation, seed=5)
    x = [0.3, -0.7, 1.1]

    def f():
        a, b = model(x)
        return a * a + 3.0 * b

    y = f()
    model.zero_grad()
    y.backward()
    h = 1e-6
    for p in model.parameters():
        old = p.data
        p.data = old + h
        up = f().data
        p.data = old - h
        down = f().data
        p.data = old
        fd = (up - down) / (2 * h)
        assert math.isclose(p.grad, fd, rel_tol=1e-5, abs_tol=1e-6), p.label


@settings(max_examples=30)
@given(st.lists(st.floats(-3, 3), min_size=2, max_size=2))
def test_input_gradients_match_finite_differences(xs):
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    inputs = [Value(v) for v in xs]
    model(inputs).backward()
    h = 1e-6
    for i in range(2):
        up = list(xs)
        up[i] += h
        down = list(xs)
        down[i] -= h
        fd = (model.predict_one(up) - model.predict_one(down)) / (2 * h)
        assert math.isclose(inputs[i].grad, fd, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("bad", [[1.0], [1.0, 2.0, 3.0], []])
def test_wrong_input_size_names_expected_and_received(bad):
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=rf"expects 2 inputs, got {len(bad)}"):
        model(bad)
    with pytest.raises(ValueError, match=rf"expects 2 inputs, got {len(bad)}"):
        model.predict_one(bad)
    with pytest.raises(ValueError, match=rf"expects 4 inputs, got {len(bad)}"):
        Neuron(4, seed=0)(bad)
    with pytest.raises(ValueError, match=rf"expects 2 inputs, got {len(bad)}"):
        Layer(2, 3, seed=0)(bad)


def test_bad_inputs_and_arguments_are_rejected_clearly():
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="sequence of 2"):
        model(1.0)
    with pytest.raises(TypeError, match="input 1"):
        model([1.0, "a"])
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [3], activation="swish")
    with pytest.raises(ValueError, match="positive int"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="non-empty list"):
        MLP(2, [])
    with pytest.raises(ValueError, match="unknown init"):
        Neuron(2, init="zeros")
    with pytest.raises(ValueError, match="not both"):
        MLP(2, [1], seed=1, rng=random.Random(1))


def test_numpy_rows_work():
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=0)
    x = np.array([0.25, -1.5])
    assert model(x).data == model([0.25, -1.5]).data
    assert model.predict_one(x) == model([0.25, -1.5]).data


def test_seeded_initialisation_is_reproducible_and_scaled():
    a = [p.data for p in MLP(2, [16, 16, 1], seed=42).parameters()]
    b = [p.data for p in MLP(2, [16, 16, 1], rng=random.Random(42)).parameters()]
    c = [p.data for p in MLP(2, [16, 16, 1], seed=43).parameters()]
    assert a == b and a != c
    # He for relu: |w| <= sqrt(6 / nin); Xavier for tanh: sqrt(6 / (nin + nout)); biases 0
    relu_layer = Layer(50, 10, "relu", seed=0)
    tanh_layer = Layer(50, 10, "tanh", seed=0)
    uniform = Layer(50, 10, "relu", seed=0, init="uniform")
    for layer, limit in ((relu_layer, math.sqrt(6 / 50)), (tanh_layer, math.sqrt(6 / 60)),
                         (uniform, 1.0)):
        ws = [w.data for n in layer.neurons for w in n.w]
        assert max(abs(w) for w in ws) <= limit
        assert max(abs(w) for w in ws) > 0.8 * limit  # actually uses the range
        assert all(n.b.data == 0.0 for n in layer.neurons)


def test_state_dict_round_trip_and_all_or_nothing_load():
    a = MLP(2, [3, 1], seed=1)
    b = MLP(2, [3, 1], seed=2)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    before = b.state_dict()
    bad = dict(a.state_dict())
    bad["layers.1.neurons.0.b"] = "oops"
    with pytest.raises(ValueError, match="must be a number"):
        b.load_state_dict(bad)
    missing = dict(a.state_dict())
    missing.pop("layers.0.neurons.2.w.1")
    with pytest.raises(ValueError, match="missing 1"):
        b.load_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected"):
        b.load_state_dict({**a.state_dict(), "extra": 1.0})
    assert b.state_dict() == before



def test_load_state_dict_refuses_an_int_too_big_for_a_float_naming_it():
    model = MLP(2, [3, 1], seed=1)
    before = model.state_dict()
    state = {**before, "layers.0.neurons.1.w.0": 10**400}
    with pytest.raises(ValueError, match=r"'layers\.0\.neurons\.1\.w\.0'.*too large"):
        model.load_state_dict(state)
    assert model.state_dict() == before  # all or nothing
    # floats keep loading as they are, the non-finite ones included (a state may hold them)
    special = {**before, "layers.0.neurons.1.w.0": float("nan"), "layers.1.neurons.0.b": 1e308,
               "layers.0.neurons.0.b": float("-inf"), "layers.0.neurons.2.b": 2**1000}
    model.load_state_dict(special)
    state = model.state_dict()
    assert state["layers.0.neurons.1.w.0"] != state["layers.0.neurons.1.w.0"]
    assert state["layers.0.neurons.0.b"] == float("-inf")
    assert state["layers.0.neurons.2.b"] == 2.0**1000


def test_a_model_pickles_and_copies_with_its_labels_and_activations():
    import copy
    import pickle

    model = MLP(2, [3, 1], "tanh", seed=0)
    x = [0.5, -1.0]
    for twin in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert twin.state_dict() == model.state_dict()
        assert [p.label for p in twin.parameters()] == [p.label for p in model.parameters()]
        out = twin(x)
        assert out.data == model(x).data and out.label == "L1.n0.out"
        assert out.parents[3].op == "tanh"
        assert twin.predict_one(x) == model.predict_one(x)

def test_zero_grad_train_eval_and_repr():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert all(m.training for m in model.train().modules())
    assert repr(model) == "MLP(2 -> 3 -> 1, relu, output linear, 13 parameters)"
    assert "layers.1" in model.describe()
    assert model.num_parameters() == 13
