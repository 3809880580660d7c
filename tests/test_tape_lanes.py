"""Lane replay: a tape run once over NumPy arrays equals a loop over the lanes."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lanes_support import loop

from autograd_core import DomainError, Value, dot, primitive, registered_ops, sum_of, trace
from autograd_core.lanes import plan_for
from autograd_core.ops import power_by
from autograd_core.testing import expressions

RTOL = 1e-12


def close(got, want, scale=1.0):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


@settings(max_examples=200, deadline=None)
@given(expressions(max_steps=10), st.data())
def test_lanes_equal_a_loop_over_lanes(e, data):
    tape = trace(e, *e.inputs)
    lanes = data.draw(st.integers(1, 5), label="lanes")
    args = []
    first = data.draw(st.integers(0, len(e.inputs) - 1), label="an array argument")
    for k, x in enumerate(e.inputs):
        if k == first or data.draw(st.booleans(), label="array?"):
            offsets = data.draw(st.lists(st.floats(-1e-4, 1e-4), min_size=lanes,
                                         max_size=lanes))
            args.append(np.array([x + o for o in offsets]))
        else:
            args.append(x)
    try:
        want_value, want_grads = loop(tape, args, lanes)
    except (DomainError, ValueError):
        return
    value, grads = tape.value_and_grad(*args)
    scale = 1.0 + max([float(np.max(np.abs(want_value)))]
                      + [float(np.max(np.abs(g))) for g in want_grads])
    close(value, want_value, scale)
    close(tape(*args), want_value, scale)
    for i, (g, w) in enumerate(zip(grads, want_grads, strict=True)):
        assert isinstance(g, np.ndarray) == isinstance(args[i], np.ndarray)
        close(g, w, scale)


ALL_UNARY = [op for op in registered_ops().values() if op.arity == 1] + [
    power_by(k) for k in (2.0, 3.0, 0.5, -1.0, 0.0)]


@pytest.mark.parametrize("op", ALL_UNARY, ids=lambda op: op.name)
def test_every_builtin_unary_op_has_an_array_version_that_agrees(op):
    if op.array is None:
        pytest.skip(f"{op.name} is a user's op without array=")
    xs = np.array([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.0, 30.0, -30.0, np.inf, -np.inf, np.nan])
    tape = trace(lambda x: op(x), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no lane-by-lane fallback, no NumPy warnings
        try:
            value, (grad,) = tape.value_and_grad(xs)
        except (DomainError, ValueError):
            ok = np.array([op.in_domain(float(x)) for x in xs])
            value, (grad,) = tape.value_and_grad(xs[ok])
            xs = xs[ok]
    want = [tape.value_and_grad(float(x)) for x in xs]
    np.testing.assert_allclose(value, [v for v, _ in want], rtol=RTOL, equal_nan=True)
    np.testing.assert_allclose(grad, [g[0] for _, g in want], rtol=RTOL, equal_nan=True)


def test_binary_ops_and_power_at_the_edges():
    a = np.array([0.0, 0.0, 0.0, 2.0, -2.0, 0.5, 3.0])
    b = np.array([0.0, 0.5, 2.0, 0.0, 3.0, -1.0, 0.25])
    for f in (lambda x, y: x ** y, lambda x, y: x * y - y / (x + 5.0), lambda x, y: -x + y):
        tape = trace(f, 2.0, 3.0)
        value, grads = tape.value_and_grad(a, b)
        want_value, want_grads = loop(tape, [a, b], len(a))
        np.testing.assert_allclose(value, want_value, rtol=RTOL, equal_nan=True)
        for g, w in zip(grads, want_grads, strict=True):
            np.testing.assert_allclose(g, w, rtol=RTOL, equal_nan=True)


def test_scalar_arguments_get_the_gradient_summed_over_lanes():
    w = Value(0.5)
    b = Value(-0.1)
    tape = trace(lambda x: (dot([w], [x], bias=b)).tanh() + w * w, 1.0, params=[w, b])
    xs = np.linspace(-1, 1, 7)
    value, (gx, gw, gb) = tape.value_and_grad(xs, 0.5, -0.1)
    t = np.tanh(0.5 * xs - 0.1)
    close(value, t + 0.25)
    close(gx, (1 - t * t) * 0.5)
    close(gw, np.sum((1 - t * t) * xs) + 7 * 2 * 0.5)
    close(gb, np.sum(1 - t * t))
    assert isinstance(gw, float) and isinstance(gx, np.ndarray)


def test_a_value_without_lane_arguments_still_comes_back_per_lane():
    tape = trace(lambda x, y: x * 2.0 + y, 1.0, 1.0)
    value, (gx, gy) = tape.value_and_grad(3.0, np.array([1.0, 2.0]))
    close(value, [7.0, 8.0])
    assert gx == 4.0 and isinstance(gx, float)
    close(gy, [1.0, 1.0])


def test_a_users_op_without_array_version_runs_lane_by_lane_with_one_warning():
    cube = primitive("lane_cube_plain", lambda x: float(x) ** 3, lambda x, out: 3.0 * float(x) ** 2)
    tape = trace(lambda x: cube(x) + x, 2.0)
    xs = np.array([1.0, 2.0, -3.0])
    with pytest.warns(RuntimeWarning, match="lane_cube_plain.*lane by lane"):
        value, (g,) = tape.value_and_grad(xs)
    close(value, xs ** 3 + xs)
    close(g, 3 * xs ** 2 + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tape.value_and_grad(xs)  # once only


def test_a_users_op_with_array_versions_uses_them():
    calls = []

    def forward(x):
        calls.append(type(x).__name__)
        return np.sinh(x)

    sinh = primitive("lane_sinh", lambda x: __import__("math").sinh(x),
                     lambda x, out: __import__("math").cosh(x),
                     array={"forward": forward, "rules": (lambda x, out: np.cosh(x),)})
    tape = trace(lambda x: sinh(x) * 2.0, 0.5)
    xs = np.array([0.0, 0.5, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, (g,) = tape.value_and_grad(xs)
    assert calls == ["ndarray"]
    close(value, 2 * np.sinh(xs))
    close(g, 2 * np.cosh(xs))
    # array={} : the float functions work on arrays as they are
    sq = primitive("lane_square", lambda x: x * x, lambda x, out: 2 * x, array={})
    value, (g,) = trace(lambda x: sq(x), 1.0).value_and_grad(xs)
    close(value, xs * xs)
    close(g, 2 * xs)


def test_array_entry_is_checked():
    with pytest.raises(TypeError, match="array= must be a dict"):
        primitive("lane_bad_array", lambda x: x, 1.0, array={"fwd": abs})
    with pytest.raises(ValueError, match="as many rules"):
        primitive("lane_bad_array2", lambda x: x, 1.0, array={"rules": ()})


def test_domain_errors_name_the_op_and_the_lane():
    tape = trace(lambda x: x.log() * 2.0 + 1.0, 1.0)
    with pytest.raises(DomainError, match="log") as info:
        tape(np.array([1.0, 2.0, -1.0]))
    notes = "".join(info.value.__notes__)
    assert "lane 2 of 3" in notes and "op 'log'" in notes
    checked = primitive("lane_checked", lambda x: x, 1.0,
                        check=lambda x: DomainError("negative") if x < 0 else None, array={})
    with pytest.raises(DomainError, match="negative") as info:
        trace(lambda x: checked(x) * 2, 1.0)(np.array([1.0, -1.0]))
    assert "lane 1 of 2" in "".join(info.value.__notes__)


def test_lane_arguments_are_checked():
    tape = trace(lambda x, y: x + y, 1.0, 2.0)
    with pytest.raises(ValueError, match="3 lanes, an earlier array has 2"):
        tape(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        tape(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="empty"):
        tape(np.ones(0), 1.0)
    with pytest.raises(TypeError, match="real numbers"):
        tape(np.array(["a"]), 1.0)
    assert tape(np.float64(1.0), np.array(2.0)) == 3.0  # NumPy scalars are numbers


def test_a_traced_mlp_loss_over_lanes_equals_the_interpreter_summed():
    from nn import MLP

    model = MLP(2, [8, 8, 1], seed=3)
    params = list(model.parameters())

    def loss(x0, x1, y):
        return (1 + (-y) * model([x0, x1])).relu() * 0.25 + sum_of([p * p for p in params]) * 1e-4

    tape = trace(loss, 0.1, 0.2, 1.0, params=params)
    rng = np.random.default_rng(0)
    x0, x1 = rng.normal(size=4), rng.normal(size=4)
    y = np.array([1.0, -1.0, 1.0, -1.0])
    for p in params:
        p.grad = 0.0
    total = None
    for j in range(4):
        term = loss(Value(x0[j]), Value(x1[j]), Value(y[j]))
        total = term if total is None else total + term
    total.backward()
    value, grads = tape.value_and_grad(x0, x1, y, *(p.data for p in params))
    close(np.sum(value), total.data)
    for p, g in zip(params, grads[3:], strict=True):
        close(g, p.grad)


def test_lanes_without_numpy_say_what_to_install():
    code = (
        "import numpy as np, sys\n"
        "from autograd_core import trace\n"
        "t = trace(lambda x: x * x, 1.0)\n"
        "xs = np.ones(3)\n"
        "sys.modules['numpy'] = None\n"
        "try:\n"
        "    t(xs)\n"
        "except ImportError as e: print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "pip install 'autograd-core[fast]'" in out


def test_a_layers_dots_run_as_one_matrix_product_and_equal_the_loop():
    from nn import MLP

    model = MLP(3, [5, 4, 1], seed=1)
    params = list(model.parameters())
    tape = trace(lambda a, b, c: model([a, b, c]), 0.1, 0.2, 0.3, params=params)
    rng = np.random.default_rng(1)
    args = [rng.normal(size=6) for _ in range(3)] + [p.data for p in params]
    plan = plan_for(tape, tuple(isinstance(a, np.ndarray) for a in args))
    assert [g.name for g in plan.groups].count("matmul") == 3  # one per layer
    assert [g.name for g in plan.groups].count("relu") == 2  # a layer's relus: one call
    assert "W(5x3) @ L[0:3] + b" in tape.lane_listing(*args)
    value, grads = tape.value_and_grad(*args)
    want_value, want_grads = loop(tape, args, 6)
    close(value, want_value)
    for g, w in zip(grads, want_grads, strict=True):
        close(g, w)


def test_dots_that_cannot_be_merged_stay_steps():
    def f(x, y, w):
        u = dot([w, w], [x, y], bias=1.0)  # weights shared: merged
        v = dot([u.tanh(), w], [x, y])  # a weight computed after the first dot: not merged
        z = dot([x, w], [y, y])  # a lane weight: not merged
        return u * v + z

    tape = trace(f, 0.3, -0.2, 0.7)
    args = [np.array([0.3, 1.0, -2.0]), np.array([-0.2, 0.5, 0.1]), 0.7]
    plan = plan_for(tape, (True, True, False))
    assert [g.name for g in plan.groups].count("matmul") == 1
    value, grads = tape.value_and_grad(*args)
    want_value, want_grads = loop(tape, args, 3)
    close(value, want_value)
    for g, w in zip(grads, want_grads, strict=True):
        close(g, w)


def test_bench_w3_tape_trains_as_w3_nn():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    from bench import workloads as W

    model, params, _ = W.make_w3_model("autograd_core", "nn")
    points, labels = W.moons()
    want = W.w3_train(W.load_value_class("autograd_core"), model, params, points, labels, 3)
    tape, theta, lanes = W.w3_tape_setup()
    got = W.w3_tape_train(tape, theta, lanes, 3)
    for g, w in zip(got, want, strict=True):
        assert W.w3_tape_check(g, w) <= 1e-9
    with pytest.raises(AssertionError, match="W3-tape"):
        W.w3_tape_check(1.0, 1.1)
