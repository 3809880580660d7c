"""Lane replay in groups: many nodes of one level and one op run as one NumPy call, and the
result is still a loop over the lanes (shared inputs, repeated inputs, sums, dot layers)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lanes_support import RTOL, agree

from autograd_core import Value, dot, sum_of, trace
from autograd_core.lanes import plan_for

UNARY = ("tanh", "relu", "sigmoid", "exp_small", "neg")
BINARY = ("add", "mul", "sub")


def apply(name, a, b=None):
    if name == "exp_small":
        return (a * 0.1).exp()
    if name == "neg":
        return -a
    if name in UNARY:
        return getattr(a, name)()
    return {"add": a + b, "mul": a * b, "sub": a - b}[name]


@st.composite
def layered(draw):
    """A random layered function: each layer's nodes pick ops and inputs (repeats allowed)
    from the layer below, so one level holds many nodes of one op."""
    n_in = draw(st.integers(2, 4))
    layers = []
    width = n_in
    for _ in range(draw(st.integers(1, 3))):
        new = draw(st.integers(1, 6))
        layer = []
        for _ in range(new):
            if draw(st.booleans()):
                layer.append((draw(st.sampled_from(UNARY)), draw(st.integers(0, width - 1)), None))
            else:
                layer.append((draw(st.sampled_from(BINARY)), draw(st.integers(0, width - 1)),
                              draw(st.integers(0, width - 1))))
        layers.append(layer)
        width = new
    finish = draw(st.sampled_from(["sum", "dot"]))

    def f(*xs):
        h = list(xs)
        for layer in layers:
            h = [apply(name, h[i], None if j is None else h[j]) for name, i, j in layer]
        if finish == "sum":
            return sum_of(h + h[:1])  # the first one twice
        return dot([xs[0]] * len(h), h)

    return f, n_in


@settings(max_examples=150, deadline=None)
@given(layered(), st.data())
def test_layered_graphs_on_lanes_equal_a_loop(fn, data):
    f, n_in = fn
    base = data.draw(st.lists(st.floats(-2, 2), min_size=n_in, max_size=n_in), label="x")
    tape = trace(f, *base)
    lanes = data.draw(st.integers(1, 4), label="lanes")
    args = []
    for k, x in enumerate(base):
        if k == 0 or data.draw(st.booleans(), label="array?"):
            offsets = data.draw(st.lists(st.floats(-0.5, 0.5), min_size=lanes, max_size=lanes))
            args.append(np.array([x + o for o in offsets]))
        else:
            args.append(x)
    agree(tape, args, lanes)


def test_sums_of_lanes_and_of_numbers_with_repeats():
    w = [Value(0.3), Value(-0.7)]

    def f(x, y):
        a = sum_of([x, x, y])  # x twice: its gradient counts twice
        b = sum_of([y, x, y])
        penalty = sum_of([p * p for p in w] + [w[0] * w[0]])
        return a * b + penalty * x

    tape = trace(f, 0.5, 0.25, params=w)
    args = [np.array([0.5, -1.0, 2.0]), np.array([0.25, 0.5, -0.5]), 0.3, -0.7]
    names = [g.name for g in plan_for(tape, (True, True, False, False)).groups]
    assert names.count("sum") == 2  # a and b in one call; the penalty in another
    agree(tape, args, 3)


def test_dots_of_one_level_with_different_inputs_run_together():
    ws = [[Value(0.1 * (i + j)) for j in range(3)] for i in range(4)]
    params = [w for row in ws for w in row]

    def f(x, y, z):
        inputs = [[x, y, z], [z, z, x], [y, x, x], [x, y, y]]  # a different row each
        outs = [dot(row, xs, bias=0.5) for row, xs in zip(ws, inputs, strict=True)]
        return sum_of([o.tanh() for o in outs])

    tape = trace(f, 0.1, 0.2, 0.3, params=params)
    args = [np.array([0.1, 1.0]), np.array([0.2, -0.4]), np.array([0.3, 0.9])] + [
        p.data for p in params]
    names = [g.name for g in plan_for(tape, (True,) * 3 + (False,) * 12).groups]
    assert names.count("dots") == 1 and "matmul" not in names
    agree(tape, args, 2)


def test_aux_values_come_back_per_lane():
    w = Value(1.5)

    def f(x):
        h = (x * w).tanh()
        return h * h, [h, x]

    tape = trace(f, 0.2, params=[w], has_aux=True)
    xs = np.array([0.2, -0.3, 0.8])
    (value, (h, x)), (gx, gw) = tape.value_and_grad(xs, 1.5)
    want_gw = 0.0
    for j, xj in enumerate(xs):
        (v1, (h1, x1)), (gx1, gw1) = tape.value_and_grad(float(xj), 1.5)
        assert value[j] == pytest.approx(v1, rel=RTOL) and h[j] == pytest.approx(h1, rel=RTOL)
        assert x[j] == x1 == xj
        assert gx[j] == pytest.approx(gx1, rel=RTOL)
        want_gw += gw1
    assert gw == pytest.approx(want_gw, rel=RTOL)
    assert tape(xs, 1.5)[1][0].shape == (3,)


def test_aux_must_be_on_the_way_to_the_value():
    with pytest.raises(ValueError, match="aux\\[0\\] is not on the way"):
        trace(lambda x: (x * 2.0, [x * 3.0]), 1.0, has_aux=True)
    with pytest.raises(TypeError, match="pair \\(value, aux\\)"):
        trace(lambda x: x * 2.0, 1.0, has_aux=True)


def test_the_lane_listing_shows_a_layer_as_one_product():
    from nn import MLP

    model = MLP(2, [8, 1], seed=0)
    params = list(model.parameters())
    tape = trace(lambda a, b: model([a, b]), 0.0, 0.0, params=params)
    text = tape.lane_listing(np.zeros(5), np.zeros(5), *(p.data for p in params))
    assert "W(8x2) @ L[0:2] + b  (8 dot nodes)" in text
    assert "relu(L" in text and "(8 nodes)" in text
    with pytest.raises(ValueError, match="array argument"):
        tape.lane_listing(0.0, 0.0, *(p.data for p in params))


def test_masked_arrays_and_junk_aux_are_refused():
    tape = trace(lambda x: x * 2.0, 1.0)
    with pytest.raises(TypeError, match=r"masked array.*filled"):
        tape(np.ma.array([1.0, 2.0], mask=[0, 1]))
    for junk in (1.0, None, {"a": 1}):
        with pytest.raises(TypeError, match="aux must be a Value or a list of Values"):
            trace(lambda x, junk=junk: (x * 2.0, junk), 1.0, has_aux=True)


def test_replays_of_a_known_kind_take_the_short_way_and_agree():
    w = [Value(0.5), Value(-0.3)]
    tape = trace(lambda x, y: (x * w[0] + y).tanh() * w[1], 1.0, 2.0, params=w)
    rng = np.random.default_rng(0)
    for n in (3, 3, 5, 1):  # the second call of a kind runs without converting its arguments
        args = [rng.normal(size=n), float(rng.normal()), 0.5, -0.3]
        agree(tape, args, n)
    ints = [np.array([1, 2, 3]), 0.25, 0.5, -0.3]  # int lanes: converted, same numbers
    floats = [np.array([1.0, 2.0, 3.0]), 0.25, 0.5, -0.3]
    (v1, g1), (v2, g2) = tape.value_and_grad(*ints), tape.value_and_grad(*floats)
    np.testing.assert_array_equal(v1, v2)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="lanes"):
        tape.value_and_grad(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), 0.5, -0.3)
