"""grad, value_and_grad, hessian: JAX-style transforms, composable, floats in and out."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import (
    Value,
    enable_grad,
    exp,
    grad,
    hessian,
    is_grad_enabled,
    no_grad,
    sin,
    sum_of,
    value_and_grad,
)


def central(f, xs, i, eps=1e-6):
    """Central difference of a float function of floats in argument ``i``: the oracle."""
    up = list(xs)
    up[i] += eps
    down = list(xs)
    down[i] -= eps
    return (f(*up) - f(*down)) / (up[i] - down[i])


def f2(x, y):
    # Module functions work on numbers and Values: arguments not differentiated stay floats.
    return sin(x * y) + exp(x) / (1 + y * y)


def f2_float(x, y):
    return math.sin(x * y) + math.exp(x) / (1 + y * y)


finite = st.floats(-2.0, 2.0, allow_nan=False)


@given(finite, finite)
def test_grad_matches_finite_differences(x, y):
    gx, gy = grad(f2, argnums=(0, 1))(x, y)
    assert gx == pytest.approx(central(f2_float, [x, y], 0), rel=1e-5, abs=1e-6)
    assert gy == pytest.approx(central(f2_float, [x, y], 1), rel=1e-5, abs=1e-6)
    assert grad(f2)(x, y) == gx
    assert grad(f2, argnums=1)(x, y) == gy
    assert grad(f2, argnums=-1)(x, y) == gy
    assert grad(f2, argnums=(1, 0))(x, y) == (gy, gx)


@given(finite, finite)
def test_value_and_grad(x, y):
    value, (gx, gy) = value_and_grad(f2, argnums=(0, 1))(x, y)
    assert value == pytest.approx(f2_float(x, y), rel=1e-12, abs=1e-12)
    assert type(value) is float and type(gx) is float and type(gy) is float
    assert grad(f2, argnums=(0, 1))(x, y) == (gx, gy)
    v, g = value_and_grad(f2)(x, y)
    assert (v, g) == (value, gx)


@given(st.floats(-1.5, 1.5, allow_nan=False))
def test_grad_of_grad_is_the_second_derivative(x):
    def f(v):
        return (v * v).sin() * v  # f = x sin(x^2)

    d1 = 2 * x * x * math.cos(x * x) + math.sin(x * x)
    d2 = 6 * x * math.cos(x * x) - 4 * x**3 * math.sin(x * x)
    d3 = 6 * math.cos(x * x) - 24 * x * x * math.sin(x * x) - 8 * x**4 * math.cos(x * x)
    assert grad(f)(x) == pytest.approx(d1, rel=1e-9, abs=1e-12)
    assert grad(grad(f))(x) == pytest.approx(d2, rel=1e-9, abs=1e-12)
    assert grad(grad(grad(f)))(x) == pytest.approx(d3, rel=1e-9, abs=1e-10)


@given(finite, finite)
def test_hessian_matches_finite_differences_of_the_gradient(x, y):
    h = hessian(f2)(x, y)
    assert len(h) == 2 and all(len(row) == 2 for row in h)
    gradient = grad(f2, argnums=(0, 1))
    for j in range(2):
        for i in range(2):
            numeric = central(lambda a, b, i=i: gradient(a, b)[i], [x, y], j)
            assert h[i][j] == pytest.approx(numeric, rel=1e-4, abs=1e-5)
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-12, abs=1e-12)
    assert hessian(f2, argnums=0)(x, y) == h[0][0]
    assert hessian(f2, argnums=(1,))(x, y) == ((h[1][1],),)


def test_hessian_of_a_quadratic_form_is_exact():
    def q(x, y, z):
        return 3 * x * x + 2 * x * y - y * z + 0.5 * z * z

    assert hessian(q)(1.0, -2.0, 5.0) == ((6.0, 2.0, 0.0), (2.0, 0.0, -1.0), (0.0, -1.0, 1.0))


def test_grad_of_linear_and_constant_functions_nest():
    assert grad(lambda x: x + 1)(2.0) == 1.0
    assert grad(grad(lambda x: x + 1))(2.0) == 0.0
    assert grad(lambda x: Value(3.0))(2.0) == 0.0
    assert grad(grad(grad(lambda x: 2 * x)))(2.0) == 0.0
    assert grad(lambda x: x)(5.0) == 1.0
    assert hessian(lambda x, y: x + y)(1.0, 2.0) == ((0.0, 0.0), (0.0, 0.0))


def test_the_same_value_passed_twice_gets_partial_derivatives():
    x = Value(3.0)
    gx, gy = grad(lambda a, b: a * b * b, argnums=(0, 1))(x, x)
    assert (gx.data, gy.data) == (9.0, 18.0)  # b^2 and 2ab, not their sum
    assert grad(lambda a, b: a * b * b, argnums=(0, 1))(3.0, 3.0) == (9.0, 18.0)


def test_values_in_values_out_and_differentiable_again():
    x = Value(0.5, label="x")
    g = grad(lambda v: v.sin() * v)(x)
    assert isinstance(g, Value)
    assert g.data == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))
    g.backward()
    assert x.grad == pytest.approx(2 * math.cos(0.5) - 0.5 * math.sin(0.5))
    value, gv = value_and_grad(lambda v: v * v)(Value(3.0))
    assert isinstance(value, Value) and isinstance(gv, Value)
    assert (value.data, gv.data) == (9.0, 6.0)


def test_transforms_do_not_touch_grad():
    x = Value(1.5)
    y = Value(-0.5)
    grad(f2, argnums=(0, 1))(x, y)
    hessian(f2)(x, y)
    value_and_grad(f2)(x, y)
    assert (x.grad, y.grad) == (0.0, 0.0)


def test_other_arguments_and_keywords_pass_through():
    def f(x, scale, *, shift=0.0, name="f"):
        assert isinstance(name, str)
        return x * scale + shift

    assert grad(f)(2.0, 3.0, shift=1.0, name="hello") == 3.0
    scale = Value(4.0)
    assert grad(f)(2.0, scale) == 4.0
    assert scale.grad == 0.0
    assert value_and_grad(f, argnums=1)(2.0, 3.0, shift=1.0) == (7.0, 2.0)


def test_variadic_function():
    def total(*xs):
        return sum_of(x * x for x in xs)

    assert grad(total, argnums=(0, 2))(1.0, 2.0, 3.0) == (2.0, 6.0)
    with pytest.raises(ValueError, match="out of range for a call with 2"):
        grad(total, argnums=3)(1.0, 2.0)


def test_numbers_of_every_real_type_are_accepted():
    from fractions import Fraction

    assert grad(lambda x: x * x)(3) == 6.0
    assert grad(lambda x: x * x)(Fraction(1, 2)) == 1.0


class TestErrors:
    def test_bad_argnums(self):
        with pytest.raises(TypeError, match="argnums must be an int or a tuple"):
            grad(f2, argnums="x")
        with pytest.raises(TypeError, match="argnums must be an int"):
            grad(f2, argnums=True)
        with pytest.raises(TypeError, match="argnums must hold ints"):
            grad(f2, argnums=(0, 1.0))
        with pytest.raises(ValueError, match="argnums is empty"):
            grad(f2, argnums=())
        with pytest.raises(ValueError, match="repeats"):
            grad(f2, argnums=(0, 0))
        with pytest.raises(ValueError, match="out of range: f2\\(\\) takes 2"):
            grad(f2, argnums=2)
        with pytest.raises(ValueError, match="out of range"):
            value_and_grad(f2, argnums=-3)
        with pytest.raises(ValueError, match="same argument twice"):
            grad(lambda *xs: xs[0], argnums=(0, -2))(1.0, 2.0)

    def test_not_a_function(self):
        with pytest.raises(TypeError, match="needs a function of Values"):
            grad(3.0)
        with pytest.raises(TypeError, match="needs a function of Values"):
            hessian("f")

    def test_wrong_number_of_arguments(self):
        with pytest.raises(TypeError, match=r"called with 1 argument\(s\)"):
            grad(f2)(1.0)
        with pytest.raises(TypeError, match=r"called with 3 argument\(s\)"):
            hessian(f2)(1.0, 2.0, 3.0)
        with pytest.raises(TypeError, match="no arguments"):
            hessian(lambda *xs: xs[0])()

    def test_bad_return_values(self):
        with pytest.raises(TypeError, match=r"must return one Value .* got float"):
            grad(lambda x: 3.0)(1.0)
        with pytest.raises(TypeError, match="got list"):
            grad(lambda x: [x, x])(1.0)
        with pytest.raises(TypeError, match="got tuple"):
            value_and_grad(lambda x: (x, x))(1.0)
        with pytest.raises(TypeError, match="got NoneType"):
            hessian(lambda x: None)(1.0)

    def test_bad_arguments(self):
        with pytest.raises(TypeError, match=r"argument 0 of .* real number"):
            grad(lambda x: x)("1.0")
        with pytest.raises(TypeError, match="real number"):
            grad(lambda x: x)(None)
        with pytest.raises(TypeError, match="real number"):
            grad(lambda x: x)(True)

    def test_domain_errors_propagate(self):
        from autograd_core import DomainError

        with pytest.raises(DomainError, match="log"):
            grad(lambda x: x.log())(-1.0)


class TestModes:
    def test_outer_no_grad_does_not_change_the_result(self):
        with no_grad():
            assert grad(lambda x: x * x)(3.0) == 6.0
            assert grad(grad(lambda x: x * x * x))(2.0) == 12.0
            assert hessian(lambda x, y: x * y)(1.0, 2.0) == ((0.0, 1.0), (1.0, 0.0))
            # Values given inside no_grad: the results are constants, as any op's would be.
            g = grad(lambda x: x * x)(Value(3.0))
            assert isinstance(g, Value) and g.is_leaf and g.data == 6.0
            assert not is_grad_enabled()
        assert is_grad_enabled()

    def test_no_grad_inside_f_makes_a_constant(self):
        def f(x):
            with no_grad():
                frozen = x * x  # a constant: no derivative flows through it
            return x * frozen

        assert grad(f)(3.0) == 9.0  # d/dx (x * c) with c = x^2 = 9
        assert grad(grad(f))(3.0) == 0.0

    def test_enable_grad_inside_no_grad_inside_f(self):
        def f(x):
            with no_grad(), enable_grad():
                return x * x

        assert grad(f)(3.0) == 6.0

    def test_threads_do_not_share_no_grad(self):
        results = {}
        start = threading.Barrier(2)

        def worker():
            start.wait(5)
            results["worker"] = [grad(lambda x: x * x * x)(float(i)) for i in range(50)]

        t = threading.Thread(target=worker)
        t.start()
        with no_grad():
            start.wait(5)
            results["main"] = [(Value(float(i)) * 2).is_leaf for i in range(50)]
        t.join(5)
        assert results["worker"] == [3.0 * i * i for i in range(50)]
        assert all(results["main"])
