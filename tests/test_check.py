"""gradcheck and gradgradcheck: pass what is right, catch what is wrong, say why."""

from __future__ import annotations

import math

import pytest

from autograd_core import (
    DomainError,
    GradcheckError,
    Op,
    Value,
    gradcheck,
    gradgradcheck,
    log,
    ops,
)
from autograd_core.check import Mismatch


def square_with_rule(rule):
    return Op("square_under_test", lambda x: x * x, [rule], arity=1)


def test_right_derivatives_pass():
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, 0.3, 1.7) is True
    assert gradgradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, 0.3, 1.7) is True
    assert gradcheck(square_with_rule(lambda x, out: 2 * x), -1.25)
    assert gradgradcheck(square_with_rule(lambda x, out: 2 * x), -1.25)


def test_wrong_first_derivative_is_caught_with_a_useful_message():
    wrong = square_with_rule(lambda x, out: 3 * x)  # the right one is 2x
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: wrong(a) + b, 1.5, 0.25)
    err = info.value
    message = str(err)
    assert isinstance(err, AssertionError)
    assert "gradcheck failed" in message and "1 of 2" in message
    assert "x0=1.5" in message and "x1=0.25" in message  # each input and its value
    assert "d/dx0" in message and "d/dx1" in message
    assert "4.5" in message  # analytic 3 * 1.5
    assert "MISMATCH" in message
    (bad,) = err.mismatches
    assert isinstance(bad, Mismatch) and bad.what == "d/dx0"
    assert bad.analytic == 4.5
    assert bad.numeric == pytest.approx(3.0, rel=1e-6)  # 2 * 1.5, by finite differences
    assert bad.error == pytest.approx(1.5, rel=1e-6)
    # the row of the input that is right is shown, unflagged
    row = next(line for line in message.splitlines() if "d/dx1" in line)
    assert "MISMATCH" not in row


def test_labels_name_the_inputs():
    wrong = square_with_rule(lambda x, out: x)
    with pytest.raises(GradcheckError, match="weight=2\\.0") as info:
        gradcheck(wrong, Value(2.0, label="weight"))
    assert "d/dweight" in str(info.value)


def test_wrong_second_derivative_passes_gradcheck_and_fails_gradgradcheck():
    # Right on floats, but on Values it returns a plain number: the graph is cut, so the
    # second derivative comes out 0 instead of 2.
    cut = square_with_rule(lambda x, out: 2 * (x.data if isinstance(x, Value) else x))
    assert gradcheck(cut, 0.7)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(cut, 0.7)
    message = str(info.value)
    assert "gradgradcheck failed" in message and "d2/dx0 dx0" in message
    (bad,) = info.value.mismatches
    assert bad.analytic == 0.0
    assert bad.numeric == pytest.approx(2.0, rel=1e-6)


def test_mixed_second_derivatives_are_checked():
    # d/da of a rule for b that forgets a: wrong only in the off-diagonal entry.
    def rule_a(a, b, out):
        return b

    def rule_b(a, b, out):
        return a.data if isinstance(a, Value) else a

    times = Op("times_under_test", lambda a, b: a * b, [rule_a, rule_b], arity=2)
    assert gradcheck(times, 1.5, -2.0)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(times, 1.5, -2.0)
    assert [m.what for m in info.value.mismatches] == ["d2/dx1 dx0"]


def test_tolerances():
    off = 1.0005  # 0.05% too large: within the default rtol of 1e-3
    slightly = square_with_rule(lambda x, out: 2 * off * x)
    assert gradcheck(slightly, 3.0)
    with pytest.raises(GradcheckError):
        gradcheck(slightly, 3.0, rtol=1e-5)
    # atol alone: a tiny derivative error near zero slope passes with the default atol.
    tiny = Op("tiny_under_test", lambda x: x * x, [lambda x, out: 2 * x + 1e-6], arity=1)
    assert gradcheck(tiny, 0.0)
    with pytest.raises(GradcheckError):
        gradcheck(tiny, 0.0, atol=1e-8)


def test_variadic_op_and_builtin_ops():
    assert gradcheck(ops._dot, 1.0, 2.0, 3.0, 4.0, 0.5)
    assert gradcheck(ops.power, 2.0, 0.5)
    assert gradgradcheck(ops.power, 2.0, 0.5)
    assert gradcheck(log, 3.0)


def test_nan_analytic_derivative_is_a_mismatch():
    nan_rule = square_with_rule(lambda x, out: math.nan)
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(nan_rule, 1.0)


class TestBadInput:
    def test_no_inputs(self):
        with pytest.raises(ValueError, match="at least one input"):
            gradcheck(lambda: Value(1.0))

    def test_not_callable(self):
        with pytest.raises(TypeError, match="function of Values"):
            gradcheck(3.0, 1.0)

    def test_f_returns_a_float(self):
        with pytest.raises(TypeError, match="must return one Value"):
            gradcheck(lambda x: 3.0, 1.0)

    def test_bad_numbers(self):
        with pytest.raises(ValueError, match="inputs must be finite"):
            gradcheck(lambda x: x, math.inf)
        with pytest.raises(TypeError, match="real number"):
            gradcheck(lambda x: x, "1")
        with pytest.raises(ValueError, match="eps must be"):
            gradcheck(lambda x: x, 1.0, eps=0.0)
        with pytest.raises(ValueError, match="atol"):
            gradcheck(lambda x: x, 1.0, atol=-1.0)
        with pytest.raises(ValueError, match="rtol"):
            gradgradcheck(lambda x: x, 1.0, rtol=math.nan)

    def test_wrong_arity(self):
        with pytest.raises(TypeError, match="argument"):
            gradcheck(lambda x, y: x * y, 1.0)

    def test_point_at_the_edge_of_the_domain(self):
        with pytest.raises(ValueError, match="smaller eps") as info:
            gradcheck(log, 1e-7)
        assert isinstance(info.value.__cause__, DomainError)
        with pytest.raises(ValueError, match="not defined at a finite-difference point"):
            gradgradcheck(lambda x: x.sqrt(), 1e-7)
        with pytest.raises(DomainError):
            gradcheck(log, -1.0)
