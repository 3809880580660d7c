"""``backward``, ``gradients``, recording modes, higher order, and very deep / wide graphs.

Semantics under test (as PyTorch): leaf gradients accumulate across ``backward()`` calls,
intermediate nodes show the gradient of the latest pass only.
"""

from __future__ import annotations

import math
import sys
import threading
from fractions import Fraction

import pytest

from autograd_core import (
    Value,
    backward,
    detect_anomaly,
    enable_grad,
    gradients,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    sum_of,
    topological_order,
    zero_grad,
)


def neuron() -> tuple[Value, Value, Value, Value, Value]:
    x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(6.8813735870195432, "b")
    h = x * w + b
    o = h.tanh()
    return x, w, b, h, o


SLOPE = 1 - math.tanh(2.0 * -3.0 + 6.8813735870195432) ** 2


# --------------------------------------------------------------------------- repeated calls
def test_leaves_accumulate_and_intermediates_show_the_latest_pass():
    x, w, b, h, o = neuron()
    o.backward()
    first = (x.grad, w.grad, b.grad, h.grad, o.grad)
    assert math.isclose(first[0], -3.0 * SLOPE) and math.isclose(first[3], SLOPE)
    o.backward()
    assert x.grad == 2 * first[0] and w.grad == 2 * first[1] and b.grad == 2 * first[2]
    assert h.grad == first[3] and o.grad == 1.0  # not summed over calls
    o.backward()
    assert x.grad == 3 * first[0]
    assert h.grad == first[3]


def test_two_roots_sharing_an_intermediate():
    x = Value(1.5)
    h = x * x
    y1 = h * 2
    y2 = h.exp()
    y1.backward()
    assert h.grad == 2.0 and x.grad == 6.0
    y2.backward()
    assert math.isclose(h.grad, math.exp(2.25))  # latest pass only
    assert math.isclose(x.grad, 6.0 + math.exp(2.25) * 3.0)  # leaf: both passes


def test_zero_grad_between_passes_gives_the_same_result():
    x, w, b, _, o = neuron()
    o.backward()
    first = (x.grad, w.grad, b.grad)
    zero_grad([x, w, b])
    assert x.grad == w.grad == b.grad == 0.0
    o.backward()
    assert (x.grad, w.grad, b.grad) == first


def test_seed_gradient():
    for seed in (2.0, 3, -0.5, Fraction(1, 2)):
        x, _, _, _, o = neuron()
        o.backward(seed)
        assert math.isclose(x.grad, float(seed) * -3.0 * SLOPE, rel_tol=1e-12)
        assert o.grad == float(seed)
    x, _, _, h, o = neuron()
    backward(o, grad=0.0)
    assert x.grad == 0.0 and h.grad == 0.0


def test_seed_with_a_value():
    x = Value(3.0)
    y = x * x
    s = Value(2.0)
    y.backward(s)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0


def test_backward_on_a_leaf_accumulates_the_seed():
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0
    x.backward()
    assert x.grad == 2.0
    x.backward(grad=0.5)
    assert x.grad == 2.5


def test_backward_on_a_constant_subgraph_node():
    c = Value(2.0)
    y = c * 3.0
    y.backward()
    assert c.grad == 3.0
    assert y.parents[1].grad == 2.0  # the lifted constant gets a gradient too


def test_a_node_not_on_any_path_is_untouched():
    x, z = Value(1.0), Value(5.0)
    unused = z * 2
    y = x * 3
    y.backward()
    assert z.grad == 0.0 and unused.grad == 0.0


# --------------------------------------------------------------------------- no_grad
def test_no_grad_results_are_leaves_and_modes_nest():
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
        with no_grad():
            z = y.tanh()
            assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
            recorded = x * 3
        assert not is_grad_enabled()
        after = x.exp()
    assert is_grad_enabled()
    for leaf in (y, z, after):
        assert leaf.is_leaf and leaf.parents == ()
    assert y.data == 5.0
    assert recorded.parents[0] is x
    (x * 2).backward()
    assert x.grad == 2.0


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()
    assert not (Value(1.0) * 2).is_leaf


def test_no_grad_as_a_decorator():
    @no_grad()
    def step(v: Value) -> Value:
        return v * v

    assert step(Value(2.0)).is_leaf
    assert step(Value(3.0)).is_leaf  # reusable
    assert is_grad_enabled()


def test_no_grad_in_one_thread_does_not_switch_off_another():
    inside = threading.Event()
    main_done = threading.Event()
    seen: dict[str, object] = {}

    def worker() -> None:
        with no_grad():
            inside.set()
            main_done.wait(5)
            seen["enabled"] = is_grad_enabled()
            seen["node"] = Value(1.0) * 2

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(5)
    # the worker sits inside no_grad() right now
    assert is_grad_enabled()
    x = Value(3.0)
    y = x * x
    main_done.set()
    t.join(5)
    assert not y.is_leaf and y.parents == (x, x)
    assert seen["enabled"] is False
    assert seen["node"].is_leaf


def test_a_new_thread_starts_with_grad_enabled_even_under_no_grad():
    result: list[bool] = []
    with no_grad():
        t = threading.Thread(target=lambda: result.append((Value(1.0) + 1).is_leaf))
        t.start()
        t.join(5)
    assert result == [False]


def test_backward_under_no_grad_still_computes_gradients():
    x = Value(2.0)
    y = x * x
    with no_grad():
        y.backward()
    assert x.grad == 4.0


# --------------------------------------------------------------------------- topological order
def test_topological_order_properties():
    _, _, _, h, o = neuron()
    order = topological_order(o)
    assert order[0] is o
    assert len(order) == len(set(order)) == 6  # x, w, b, x*w, h, o
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] > position[node]
    inner = topological_order(o, leaves=False)
    assert inner[0] is o and all(not n.is_leaf for n in inner) and len(inner) == 3
    stopped = topological_order(o, stop=[h])
    assert set(stopped) == {o, h}


def test_topological_order_of_a_shared_diamond():
    a = Value(1.0)
    b = a + a
    c = b * b
    d = c + b
    order = topological_order(d)
    assert order == [d, c, b, a]


# --------------------------------------------------------------------------- gradients()
def test_gradients_leave_grad_alone():
    x, w, _, h, o = neuron()
    gx, gw, gh = gradients(o, [x, w, h])
    assert math.isclose(gx, -3.0 * SLOPE) and math.isclose(gw, 2.0 * SLOPE)
    assert math.isclose(gh, SLOPE)
    assert x.grad == w.grad == h.grad == o.grad == 0.0


def test_gradients_of_an_unrelated_input_is_zero():
    x, z = Value(1.0), Value(2.0)
    assert gradients(x * 3, [x, z]) == [3.0, 0.0]


def test_gradients_with_a_seed():
    x = Value(2.0)
    assert gradients(x * x, [x], grad=0.5) == [2.0]


def test_gradients_count_paths_through_another_input():
    # regression: gradients() used to stop the chain rule at every input, so dy/dx missed the
    # path through t = 2x. y = t*x = 2x**2, so dy/dx = 4x and dy/dt = x.
    x = Value(1.5)
    t = x * 2
    y = t * x
    gt, gx = gradients(y, [t, x])
    assert gt == 1.5 and gx == 6.0
    y.backward()
    assert x.grad == gx


# --------------------------------------------------------------------------- higher order
def test_second_derivative_of_a_cube():
    for x0 in (-2.0, 0.0, 0.5, 3.0):
        x = Value(x0)
        (d1,) = gradients(x**3, [x], create_graph=True)
        assert isinstance(d1, Value) and math.isclose(d1.data, 3 * x0 * x0, abs_tol=1e-15)
        (d2,) = gradients(d1, [x], create_graph=True)
        assert math.isclose(d2.data, 6 * x0, abs_tol=1e-15)
        (d3,) = gradients(d2, [x])
        assert math.isclose(d3, 6.0)


def test_second_derivative_of_a_square_at_zero():
    # regression: the derivative of x**k at x = 0 was a constant, losing d2(x**2)/dx2 = 2
    for k, expected in ((2, 2.0), (3, 0.0), (4, 0.0)):
        x = Value(0.0)
        (d1,) = gradients(x**k, [x], create_graph=True)
        assert gradients(d1, [x]) == [expected]
    a, n = Value(0.0), Value(2.0)
    (d1,) = gradients(a**n, [a], create_graph=True)
    assert gradients(d1, [a]) == [2.0]


def test_backward_create_graph_then_backward_again():
    x = Value(0.7)
    y = x.tanh()
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value)
    t = math.tanh(0.7)
    assert math.isclose(g.data, 1 - t * t)
    x.grad = 0.0
    g.backward()
    assert math.isclose(x.grad, -2 * t * (1 - t * t), rel_tol=1e-12)


@pytest.mark.parametrize(
    ("f", "d2"),
    [
        (lambda v: v.exp(), math.exp),
        (lambda v: v.log(), lambda x: -1 / x**2),
        (lambda v: v.sqrt(), lambda x: -0.25 * x**-1.5),
        (lambda v: v.sin(), lambda x: -math.sin(x)),
        (lambda v: v.cos(), lambda x: -math.cos(x)),
        (lambda v: v.sigmoid(), lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s)),
        (lambda v: 1 / v, lambda x: 2 / x**3),
        (lambda v: 2**v, lambda x: math.log(2) ** 2 * 2**x),
        (lambda v: v**v, lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x)),
        (lambda v: v.relu() * v, lambda x: 2.0 if x > 0 else 0.0),
        (lambda v: abs(v) * 3, lambda x: 0.0),
    ],
)
def test_second_derivatives_of_each_op(f, d2):
    for x0 in (0.3, 1.7):
        x = Value(x0)
        (d1,) = gradients(f(x), [x], create_graph=True)
        (second,) = gradients(d1, [x])
        assert math.isclose(second, d2(x0), rel_tol=1e-10, abs_tol=1e-14)


def test_mixed_partial_derivatives():
    x, y = Value(1.2), Value(-0.4)
    f = (x * y).sin() + x**2 * y
    dx, dy = gradients(f, [x, y], create_graph=True)
    dxy, dyy = gradients(dx, [y, y])[0], gradients(dy, [y])[0]
    dyx = gradients(dy, [x])[0]
    u = 1.2 * -0.4
    assert math.isclose(dxy, math.cos(u) - u * math.sin(u) + 2 * 1.2, rel_tol=1e-12)
    assert math.isclose(dyx, dxy, rel_tol=1e-12)
    assert math.isclose(dyy, -(1.2**2) * math.sin(u), rel_tol=1e-12)


def test_create_graph_leaves_accumulate_intermediates_latest():
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward(create_graph=True)
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 24.0
    assert isinstance(h.grad, Value) and h.grad.data == 3.0  # overwritten, not summed


def test_general_path_and_fast_path_agree():
    def build() -> tuple[list[Value], Value]:
        a, b, c = Value(0.3), Value(-1.2), Value(2.0)
        h = (a * b + c).tanh()
        y = sum_of([h * h, (a / c).exp(), b.sin() * a, c**1.5, (h - a).sigmoid()])
        return [a, b, c], y

    leaves, y = build()
    y.backward()
    fast = [v.grad for v in leaves]
    leaves, y = build()
    y.backward(create_graph=True)
    assert [v.grad.data for v in leaves] == pytest.approx(fast, rel=1e-14)
    leaves, y = build()
    with detect_anomaly():
        assert is_anomaly_enabled()
        y.backward()
    assert [v.grad for v in leaves] == pytest.approx(fast, rel=1e-14)
    leaves, y = build()
    assert gradients(y, leaves) == pytest.approx(fast, rel=1e-14)


def test_anomaly_names_the_op_and_this_pass_upstream_gradient():
    x = Value(0.0, label="x")
    y = x.sqrt() * 3
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        y.backward()
    message = str(info.value)
    assert "'sqrt'" in message and "inf" in message and "x=0.0" in message
    assert "upstream grad 3.0" in message  # regression: used to show the stale .grad (0.0)


def test_anomaly_mode_catches_a_nan_forward():
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"'\*' produced nan"):
        Value(0.0) * math.inf
    assert not is_anomaly_enabled()


# --------------------------------------------------------------------------- deep and wide
def test_a_million_op_chain_runs_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    n = 1_000_000
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y.tanh()
    y.backward()
    # independent oracle: the product of tanh'(y_i) along the chain, with math alone
    v, product = 0.5, 1.0
    for _ in range(n):
        v = math.tanh(v)
        product *= 1 - v * v
    assert math.isclose(y.data, v, rel_tol=1e-12)
    assert math.isclose(x.grad, product, rel_tol=1e-9)
    assert sys.getrecursionlimit() == limit
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_a_deep_affine_chain_with_shared_constants():
    limit = sys.getrecursionlimit()
    n = 500_000  # two ops per step: a million ops
    c, d, x = Value(1.0001), Value(0.0001), Value(0.3)
    y = x
    for _ in range(n):
        y = y * c + d
    y.backward()
    # y_n = c**n x + d (c**n - 1)/(c - 1); the oracle runs the reverse recursion in floats
    ys = [0.3]
    for _ in range(n):
        ys.append(ys[-1] * 1.0001 + 0.0001)
    dc = dd = 0.0
    upstream = 1.0
    for i in range(n, 0, -1):
        dd += upstream
        dc += upstream * ys[i - 1]
        upstream *= 1.0001
    assert math.isclose(y.data, ys[-1], rel_tol=1e-12)
    assert math.isclose(x.grad, upstream, rel_tol=1e-9)
    assert math.isclose(x.grad, 1.0001**n, rel_tol=1e-9)
    assert math.isclose(d.grad, dd, rel_tol=1e-9)
    assert math.isclose(d.grad, (1.0001**n - 1) / 0.0001, rel_tol=1e-6)
    assert math.isclose(c.grad, dc, rel_tol=1e-9)
    assert sys.getrecursionlimit() == limit


def test_a_wide_sum_of_products_has_exact_gradients():
    n = 100_000
    xs = [Value(i * 1e-3) for i in range(n)]
    ws = [Value(((i * 7919) % 201 - 100) / 8) for i in range(n)]
    s = xs[0] * ws[0]
    for x, w in zip(xs[1:], ws[1:], strict=True):
        s = s + x * w
    s.backward()
    assert all(x.grad == w.data for x, w in zip(xs, ws, strict=True))
    assert all(w.grad == x.data for x, w in zip(xs, ws, strict=True))
    exact = math.fsum(x.data * w.data for x, w in zip(xs, ws, strict=True))
    assert math.isclose(s.data, exact, rel_tol=1e-9)


def test_one_no_grad_object_can_be_entered_again_and_nested():
    ng = no_grad()
    x = Value(2.0)
    with ng:
        assert (x * x).is_leaf
    assert not (x * x).is_leaf
    with ng:
        with ng:
            assert (x * x).is_leaf
        assert (x * x).is_leaf
    assert not (x * x).is_leaf

    @ng
    def square(v):
        return v * v

    assert square(x).is_leaf and not (x * x).is_leaf
