"""Forward mode (issue 14): forward_tangents, jvp, hvp (forward-over-reverse), jacobian."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import (
    Op,
    Value,
    forward_steps,
    forward_tangents,
    gradients,
    hessian,
    hvp,
    jacobian,
    jvp,
    primitive,
    registered_ops,
    topological_order,
)
from autograd_core import functional as functional_module
from autograd_core.testing import default_ops, expressions, inputs_for, reals

# A user's op, made outside the registry so it does not leak into other files' expressions().
CUBE = Op("user_cube", lambda x: x ** 3, [lambda x, out: 3 * x * x], arity=1)
direction = st.floats(-1, 1, allow_nan=False, allow_infinity=False)


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def directional_difference(e, xs, v, eps=1e-6):
    up = e(*[x + eps * t for x, t in zip(xs, v, strict=True)]).data
    down = e(*[x - eps * t for x, t in zip(xs, v, strict=True)]).data
    return (up - down) / (2 * eps)


@st.composite
def expression_and_direction(draw, **kwargs):
    e = draw(expressions(**kwargs))
    v = tuple(draw(direction) for _ in e.inputs)
    return e, v


# --------------------------------------------------------------------------- jvp
@settings(max_examples=60)
@given(expression_and_direction(ops=[CUBE, *default_ops()]))
def test_jvp_is_the_reverse_gradient_dotted_with_the_tangent(case) -> None:
    e, v = case
    value, tangent = jvp(e, e.inputs, v)
    xs = [Value(x) for x in e.inputs]
    out = e(*xs)
    assert value == out.data
    grads = gradients(out, xs)
    expected = math.fsum(g * t for g, t in zip(grads, v, strict=True))
    assert close(tangent, expected, 1e-9, 1e-9 * (1 + sum(abs(g) for g in grads)))


@settings(max_examples=60)
@given(expression_and_direction(ops=[CUBE, *default_ops()]))
def test_jvp_matches_central_differences(case) -> None:
    e, v = case
    _, tangent = jvp(e, e.inputs, v)
    numeric = directional_difference(e, e.inputs, v)
    assert close(tangent, numeric, 1e-3, 1e-5 * (1 + abs(numeric)) + 1e-4)


@pytest.mark.parametrize("name", sorted(registered_ops()))
def test_jvp_of_every_registered_op_matches_reverse_mode(name: str) -> None:
    op = registered_ops()[name]

    @settings(max_examples=15)
    @given(inputs_for(op, -3, 3), st.lists(direction, min_size=5, max_size=5))
    def check(xs, v):
        v = v[: len(xs)]
        f = (lambda *a: op(list(a))) if op.arity is None else op
        _, tangent = jvp(f, xs, v)
        nodes = [Value(x) for x in xs]
        grads = gradients(f(*nodes), nodes)
        assert close(tangent, math.fsum(g * t for g, t in zip(grads, v, strict=True)))

    check()


def test_jvp_of_a_users_primitive() -> None:
    cube = primitive("fwd_test_cube", lambda x: x ** 3, lambda x, out: 3 * x * x)
    assert jvp(lambda x: cube(x) * x, (2.0,), (1.0,)) == (16.0, 32.0)  # d x**4 = 4x**3


def test_jvp_of_several_outputs_and_tangent_zero() -> None:
    values, dots = jvp(lambda x, y: (x * y, x + y, y.exp()), (2.0, 3.0), (1.0, 0.0))
    assert values == (6.0, 5.0, math.exp(3.0))
    assert dots == (3.0, 1.0, 0.0)


def test_jvp_composes_with_grad() -> None:
    from autograd_core import grad

    def slope(x):
        return jvp(lambda t: t ** 3, (x,), (1.0,))[1]   # 3x**2

    assert grad(slope)(2.0) == 12.0                   # 6x
    assert isinstance(jvp(lambda t: t * t, (Value(3.0),), (1.0,))[1], Value)


def test_jvp_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"1 primal.*2 tangent"):
        jvp(lambda x: x, (1.0,), (1.0, 2.0))
    with pytest.raises(TypeError, match="primals must be a tuple"):
        jvp(lambda x: x, 1.0, (1.0,))
    with pytest.raises(TypeError, match="must return a Value or a list/tuple"):
        jvp(lambda x: "no", (1.0,), (1.0,))
    with pytest.raises(TypeError, match="tangent 0"):
        jvp(lambda x: x, (1.0,), ("fast",))
    with pytest.raises(TypeError, match="jvp needs a function"):
        jvp(3, (1.0,), (1.0,))


# --------------------------------------------------------------------------- forward_tangents
def test_forward_tangents_of_a_node_used_twice() -> None:
    a = Value(3.0)
    b = a + a
    c = b * b
    t = forward_tangents(c, {a: 1.0})
    assert (t[a], t[b], t[c]) == (1.0, 2.0, 24.0)     # dc/da = 8a


def test_forward_tangents_gives_zero_to_nodes_that_do_not_move() -> None:
    x = Value(1.0)
    w = Value(2.0)
    k = w.sqrt() * 0.0 + (w * 0.0).sqrt()   # slope inf at a constant: no inf * 0 = nan
    y = x * w + k
    t = forward_tangents(y, {x: 1.0})
    assert t[w] == 0.0 and t[k] == 0.0 and t[y] == 2.0


def test_forward_tangents_on_a_deep_chain_does_not_recurse() -> None:
    x = Value(0.5)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0
    assert forward_tangents(y, {x: 2.0})[y] == 2.0


def test_forward_tangents_at_an_intermediate_seed_agrees_with_gradients() -> None:
    x = Value(0.7)
    t = x.sin()
    y = t * x
    found = forward_tangents(y, {t: 0.3, x: -1.5})[y]
    gt, gx = gradients(y, [t, x])
    assert close(found, 0.3 * gt - 1.5 * gx)


def test_forward_tangents_of_several_roots_in_one_pass() -> None:
    x = Value(2.0)
    s = x * x
    roots = [s + 1, s * x, x.exp()]
    t = forward_tangents(roots, {x: 1.0})
    assert [t[r] for r in roots] == [4.0, 12.0, math.exp(2.0)]


def test_forward_tangents_with_create_graph_is_differentiable() -> None:
    x = Value(2.0)
    y = x ** 3
    dy = forward_tangents(y, {x: 1.0}, create_graph=True)[y]
    assert isinstance(dy, Value) and dy.data == 12.0
    assert gradients(dy, [x]) == [12.0]


def test_forward_tangents_refuses_bad_seeds() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="dict from input Values"):
        forward_tangents(x, [x])
    with pytest.raises(TypeError, match="keys must be Values"):
        forward_tangents(x, {"x": 1.0})
    with pytest.raises(TypeError, match="tangent of"):
        forward_tangents(x, {x: "one"})
    with pytest.raises(TypeError, match="needs a Value or a list"):
        forward_tangents(1.0, {x: 1.0})


def test_forward_tangents_uses_the_ops_own_rules() -> None:
    calls = []
    op = Op("counted", lambda x: 2 * x, [lambda x, out: calls.append(x) or 2.0], arity=1)
    x = Value(1.5)
    y = op(x)
    assert forward_tangents(y, {x: 1.0})[y] == 2.0 and calls == [1.5]


# --------------------------------------------------------------------------- hvp
@settings(max_examples=40)
@given(expression_and_direction(ops=[CUBE, *default_ops()], max_steps=6))
def test_hvp_equals_hessian_times_v(case) -> None:
    e, v = case
    rows = hessian(e)(*e.inputs)
    product = hvp(e)(e.inputs, v)
    assert len(product) == len(v)
    for row, got in zip(rows, product, strict=True):
        expected = math.fsum(h * t for h, t in zip(row, v, strict=True))
        scale = 1 + sum(abs(h) for h in row)
        assert close(got, expected, 1e-9, 1e-9 * scale)


def test_hvp_of_one_argument_and_of_a_constant_gradient() -> None:
    assert hvp(lambda x: x ** 3)(2.0, 1.0) == 12.0
    assert hvp(lambda x, y: x + y)((1.0, 2.0), (1.0, 1.0)) == (0.0, 0.0)
    assert hvp(lambda x, y: x * x * y)((3.0, 2.0), (0.0, 1.0)) == (6.0, 0.0)


def test_hvp_refuses_mismatched_shapes() -> None:
    with pytest.raises(TypeError, match="both be numbers"):
        hvp(lambda x: x * x)(1.0, (1.0,))
    with pytest.raises(ValueError, match=r"2 argument.*1 entries"):
        hvp(lambda x, y: x * y)((1.0, 2.0), (1.0,))


# --------------------------------------------------------------------------- jacobian
def every_node(e):
    def f(*xs):
        xs = [x if isinstance(x, Value) else Value(x) for x in xs]
        inputs = set(xs)
        out = e(*xs)
        return tuple(n for n in topological_order(out, stop=inputs)
                     if n._op is not None and n not in inputs)
    return f


@settings(max_examples=40)
@given(expressions(ops=[CUBE, *default_ops()], max_steps=6))
def test_jacobian_matches_finite_differences_in_both_modes(e) -> None:
    f = every_node(e)
    forward = jacobian(f, mode="forward")(*e.inputs)
    reverse = jacobian(f, mode="reverse")(*e.inputs)
    auto = jacobian(f)(*e.inputs)
    assert auto == (forward if len(e.inputs) < len(forward) else reverse)
    eps = 1e-6
    for j in range(len(e.inputs)):
        up = [n.data for n in f(*[x + eps * (i == j) for i, x in enumerate(e.inputs)])]
        down = [n.data for n in f(*[x - eps * (i == j) for i, x in enumerate(e.inputs)])]
        for i in range(len(forward)):
            numeric = (up[i] - down[i]) / (2 * eps)
            assert close(forward[i][j], reverse[i][j], 1e-9, 1e-9 * (1 + abs(reverse[i][j])))
            assert close(forward[i][j], numeric, 1e-3, 1e-4 + 1e-5 * abs(numeric))


def test_jacobian_picks_the_mode_by_shape(monkeypatch) -> None:
    calls = {"forward": 0, "reverse": 0}
    real_forward, real_gradients = functional_module.forward_tangents, functional_module.gradients

    def counting_forward(*a, **k):
        calls["forward"] += 1
        return real_forward(*a, **k)

    def counting_gradients(*a, **k):
        calls["reverse"] += 1
        return real_gradients(*a, **k)

    monkeypatch.setattr(functional_module, "forward_tangents", counting_forward)
    monkeypatch.setattr(functional_module, "gradients", counting_gradients)
    tall = jacobian(lambda x: (x, x * x, x.sin()))(1.0)       # 1 input, 3 outputs: forward
    assert calls == {"forward": 1, "reverse": 0}
    assert tall == ((1.0,), (2.0,), (math.cos(1.0),))
    wide = jacobian(lambda x, y, z: (x * y * z, x + y))(1.0, 2.0, 3.0)   # 3 in, 2 out
    assert calls == {"forward": 1, "reverse": 2}
    assert wide == ((6.0, 3.0, 2.0), (1.0, 1.0, 0.0))


def test_jacobian_shapes() -> None:
    assert jacobian(lambda x, y: x * y)(2.0, 3.0) == (3.0, 2.0)          # one output: a row
    assert jacobian(lambda x, y: (x * y, y), argnums=0)(2.0, 3.0) == (3.0, 0.0)
    assert jacobian(lambda x, y: (x * y, y), argnums=(1,))(2.0, 3.0) == ((2.0,), (1.0,))
    with pytest.raises(ValueError, match="mode must be"):
        jacobian(lambda x: x, mode="sideways")
    with pytest.raises(TypeError, match="output #1"):
        jacobian(lambda x: (x, "y"))(1.0)


@given(reals(-2, 2))
def test_hessian_results_are_unchanged(x) -> None:
    assert hessian(lambda t: t.sin() * t, argnums=0)(x) == pytest.approx(
        2 * math.cos(x) - x * math.sin(x), rel=1e-9, abs=1e-12)


def test_forward_tangents_takes_a_constant_rule_beside_a_callable_one() -> None:
    mixed = Op("fwd_mixed", lambda a, b: a + b * b, [1.0, lambda a, b, out: 2 * b], arity=2)
    x = Value(1.0)
    w = Value(3.0)
    y = mixed(x, w)
    assert forward_tangents(y, {x: 1.0, w: 1.0})[y] == 7.0 == sum(gradients(y, [x, w]))
    assert [s.tangent for s in forward_steps(y, {x: 1.0, w: 1.0})] == [7.0]


def test_a_rule_that_takes_the_wrong_arguments_is_named_in_forward_mode() -> None:
    bad = Op("fwd_bad", lambda a: a, [lambda a: 1.0], arity=1)
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"rule #0 of op 'fwd_bad' must take \(x, out\)"):
        forward_tangents(bad(x), {x: 1.0})
