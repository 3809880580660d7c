"""A user's own ops, made with primitive(), work exactly like the built-ins, end to end."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import (
    DomainError,
    GradcheckError,
    Op,
    Value,
    exp,
    grad,
    gradcheck,
    gradgradcheck,
    hessian,
    local_derivatives,
    log,
    no_grad,
    ops,
    primitive,
    registered_ops,
    sigmoid,
    topological_order,
)
from autograd_core.testing import (
    assert_gradients_close,
    default_ops,
    expressions,
    inputs_for,
    is_smooth_at,
)

# ---------------------------------------------------------------- the user's ops, as a user
# would write them: a forward on floats and derivative rules that work on floats and Values.


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


softplus = primitive(
    "test_softplus", _softplus, lambda x, out: sigmoid(x), method=True,
    doc="log(1 + e**x)", formulas=("sigmoid({x})",),
)
TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)
erf = primitive("test_erf", math.erf, lambda x, out: TWO_OVER_ROOT_PI * exp(-(x * x)))
hypot = primitive(
    "test_hypot", math.hypot, lambda a, b, out: a / out, lambda a, b, out: b / out,
    check=lambda a, b: DomainError("hypot is not differentiable at (0, 0)")
    if a == 0 and b == 0 else None,
)


def _logsumexp(xs: list[float]) -> float:
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


logsumexp = primitive(
    "test_logsumexp", _logsumexp, lambda xs, out: [exp(x - out) for x in xs], variadic=True,
    formulas=lambda names, out: [f"exp({n} - {out})" for n in names],
)
log1p = primitive(
    "test_log1p", math.log1p, lambda x, out: 1 / (1 + x),
    check=lambda x: DomainError(f"log1p needs x > -1, got {x!r}") if x <= -1 else None,
)
CUSTOM = [softplus, erf, hypot, logsumexp, log1p]


def sig(x):
    return 1 / (1 + math.exp(-x))


def test_they_are_registered_like_builtins():
    for op in CUSTOM:
        assert registered_ops()[op.name] is op
        assert op in default_ops()
    assert type(softplus) is type(ops.exp) is Op
    with pytest.raises(ValueError, match="exists already"):
        primitive("test_softplus", _softplus, lambda x, out: sigmoid(x))


def test_forward_on_numbers_and_values():
    assert softplus(0.0) == math.log(2.0)
    assert isinstance(softplus(Value(0.0)), Value)
    assert Value(0.0).test_softplus().data == math.log(2.0)  # method=True
    assert logsumexp([1.0, 2.0]) == pytest.approx(math.log(math.e + math.e**2))
    with pytest.raises(DomainError, match="log1p needs"):
        log1p(Value(-2.0))
    with pytest.raises(DomainError, match="hypot"):
        hypot(Value(0.0), 0.0)


@given(st.floats(-30, 30, allow_nan=False))
def test_backward_and_second_derivatives_match_closed_forms(x0):
    x = Value(x0)
    y = softplus(x)
    y.backward(create_graph=True)
    assert x.grad.data == pytest.approx(sig(x0), rel=1e-12, abs=1e-300)
    assert grad(grad(softplus))(x0) == pytest.approx(sig(x0) * (1 - sig(x0)), rel=1e-9,
                                                      abs=1e-300)
    if abs(x0) < 5:
        e = math.exp(-x0 * x0)
        assert grad(erf)(x0) == pytest.approx(TWO_OVER_ROOT_PI * e, rel=1e-12)
        assert grad(grad(erf))(x0) == pytest.approx(-2 * x0 * TWO_OVER_ROOT_PI * e,
                                                    rel=1e-9, abs=1e-15)


def test_binary_and_variadic_custom_ops_differentiate():
    assert grad(hypot, argnums=(0, 1))(3.0, 4.0) == (0.6, 0.8)
    h = hessian(hypot)(3.0, 4.0)  # [[b^2, -ab], [-ab, a^2]] / r^3
    expected = ((16 / 125, -12 / 125), (-12 / 125, 9 / 125))
    for i in range(2):
        for j in range(2):
            assert h[i][j] == pytest.approx(expected[i][j], rel=1e-12)
    xs = [Value(v) for v in (0.5, -1.0, 2.0)]
    y = logsumexp(xs)
    y.backward()
    total = sum(math.exp(v.data) for v in xs)
    for v in xs:
        assert v.grad == pytest.approx(math.exp(v.data) / total, rel=1e-12)


def test_no_grad_makes_constants():
    x = Value(1.0)
    with no_grad():
        y = softplus(x) + logsumexp([x, x])
    assert y.is_leaf
    assert y.data == pytest.approx(_softplus(1.0) + 1.0 + math.log(2.0))


@pytest.mark.parametrize("op", CUSTOM, ids=lambda op: op.name)
def test_gradcheck_and_gradgradcheck_over_the_domain(op):
    @given(inputs_for(op, -20.0, 20.0))
    @settings(max_examples=50)
    def check(xs):
        assert gradcheck(op, *xs)
        assert gradgradcheck(op, *xs)
        assert_gradients_close(op, *xs)

    check()


def test_sampling_respects_the_custom_domain():
    assert not is_smooth_at(log1p, [-1.0])
    assert not is_smooth_at(log1p, [-0.9995])  # within the margin of the edge
    assert is_smooth_at(log1p, [-0.5])
    assert not is_smooth_at(hypot, [0.0, 0.0])


@given(expressions(ops=[*CUSTOM, ops.mul, ops.add, ops.tanh, ops.div, log]))
def test_random_expressions_with_custom_ops_pass_both_checks(e):
    assert gradcheck(e, *e.inputs)
    assert gradgradcheck(e, *e.inputs)


def test_graph_inspection_and_drawing_see_the_custom_op():
    x = Value(0.5, label="x")
    y = softplus(x * 2)
    assert y.op == "test_softplus"
    assert [n.op for n in topological_order(y)] == ["test_softplus", "*", "", ""]
    (d,) = local_derivatives(y)
    assert d == pytest.approx(sig(1.0))
    (ds,) = local_derivatives(y, symbolic=True)
    assert isinstance(ds, Value) and ds.data == pytest.approx(sig(1.0))
    assert softplus.formulas == ("sigmoid({x})",)
    viz = pytest.importorskip("viz")
    draw = getattr(viz, "to_dot", None) or getattr(viz, "draw_dot", None)
    if draw is None:
        pytest.skip("viz has no DOT drawing function yet")
    assert "test_softplus" in str(draw(y))


# ---------------------------------------------------------------- a wrong derivative
def test_a_wrong_derivative_is_caught_with_a_useful_message():
    # Made as a bare Op, not registered: a wrong op must not leak into other tests' draws.
    bad_softplus = Op("bad_softplus", _softplus, [lambda x, out: sigmoid(2 * x)], arity=1)
    assert gradcheck(bad_softplus, 0.0)  # right by accident at 0: sigmoid(0) = sigmoid(0)
    with pytest.raises(GradcheckError) as info:
        gradcheck(bad_softplus, 1.0)
    message = str(info.value)
    assert "bad_softplus" in message
    assert "x0=1.0" in message
    assert repr(sig(2.0)) in message  # the analytic value
    (mismatch,) = info.value.mismatches
    assert mismatch.numeric == pytest.approx(sig(1.0), rel=1e-6)
    with pytest.raises(AssertionError):
        assert_gradients_close(bad_softplus, 1.0)


def test_a_rule_that_only_works_on_floats_is_caught_by_gradgradcheck():
    # math.cos instead of the op cos: fine for backward(), the graph of the gradient is cut.
    float_sin = Op("float_sin", math.sin,
                   [lambda x, out: math.cos(x.data if isinstance(x, Value) else x)], arity=1)
    assert gradcheck(float_sin, 0.8)
    with pytest.raises(GradcheckError, match="gradgradcheck failed for float_sin"):
        gradgradcheck(float_sin, 0.8)
