"""Second (and higher) derivatives through create_graph, checked against closed forms.

Every route to a second derivative is checked: backward(create_graph=True) then backward on
the gradient, gradients() twice, grad(grad(f)) and hessian(f).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value, grad, gradients, hessian, no_grad


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def sig(x):
    return 1 / (1 + math.exp(-x))


# name -> (f on Values, f', f'', sampling range): closed forms written out by hand.
CASES = {
    "x**3": (lambda x: x**3, lambda x: 3 * x * x, lambda x: 6 * x, (-10, 10)),
    "exp(sin(x))": (
        lambda x: x.sin().exp(),
        lambda x: math.exp(math.sin(x)) * math.cos(x),
        lambda x: math.exp(math.sin(x)) * (math.cos(x) ** 2 - math.sin(x)),
        (-10, 10),
    ),
    "tanh": (
        lambda x: x.tanh(),
        lambda x: 1 - math.tanh(x) ** 2,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
        (-10, 10),
    ),
    "sigmoid": (
        lambda x: x.sigmoid(),
        lambda x: sig(x) * (1 - sig(x)),
        lambda x: sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
        (-20, 20),
    ),
    "log": (lambda x: x.log(), lambda x: 1 / x, lambda x: -1 / (x * x), (1e-3, 1e3)),
}


def close(a, b):
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_closed_form(name):
    f, d1, d2, (lo, hi) = CASES[name]

    @given(floats(lo, hi))
    def check(x0):
        # 1. backward(create_graph=True), then backward on the gradient.
        x = Value(x0)
        y = f(x)
        y.backward(create_graph=True)
        g = x.grad
        assert isinstance(g, Value)
        assert close(g.data, d1(x0))
        x.grad = 0.0
        g.backward()
        assert close(x.grad, d2(x0))
        # 2. gradients() twice.
        x = Value(x0)
        (g,) = gradients(f(x), [x], create_graph=True)
        (h,) = gradients(g, [x])
        assert close(h, d2(x0))
        # 3. the transforms.
        assert close(grad(f)(x0), d1(x0))
        assert close(grad(grad(f))(x0), d2(x0))
        assert close(hessian(f, argnums=0)(x0), d2(x0))

    check()


@given(floats(0.05, 5.0), floats(-4.0, 4.0))
def test_power_with_value_exponent_in_both_arguments(a, b):
    ln = math.log(a)
    expected = (
        (b * (b - 1) * a ** (b - 2), a ** (b - 1) * (1 + b * ln)),
        (a ** (b - 1) * (1 + b * ln), a**b * ln * ln),
    )
    h = hessian(lambda x, y: x**y)(a, b)
    for i in range(2):
        for j in range(2):
            assert h[i][j] == pytest.approx(expected[i][j], rel=1e-9, abs=1e-12)
    # And through backward(create_graph=True) + gradients on each gradient.
    x, y = Value(a), Value(b)
    (x**y).backward(create_graph=True)
    assert gradients(x.grad, [x, y]) == pytest.approx(list(expected[0]), rel=1e-9, abs=1e-12)
    assert gradients(y.grad, [x, y]) == pytest.approx(list(expected[1]), rel=1e-9, abs=1e-12)


@given(floats(-3.0, 3.0))
def test_third_and_fourth_derivatives_of_sin(x):
    f = lambda v: v.sin()  # noqa: E731
    assert grad(grad(grad(f)))(x) == pytest.approx(-math.cos(x), abs=1e-12)
    assert grad(grad(grad(grad(f))))(x) == pytest.approx(math.sin(x), abs=1e-12)


def test_derivative_of_x_times_its_own_derivative():
    # d/dx (x * dy/dx) for y = x^3: x * 3x^2 = 3x^3, derivative 9x^2.
    x = Value(2.0)
    y = x**3
    (dy,) = gradients(y, [x], create_graph=True)
    z = x * dy
    z.backward()
    assert x.grad == 36.0


@given(floats(-2.0, 2.0), floats(-2.0, 2.0), floats(-1.0, 1.0), floats(-1.0, 1.0))
def test_hessian_vector_product(a, b, va, vb):
    # f = a^2 b + sin(a b); H v via double backward: grad of (grad f . v).
    def f(x, y):
        return x * x * y + (x * y).sin()

    x, y = Value(a), Value(b)
    gx, gy = gradients(f(x, y), [x, y], create_graph=True)
    hv = gradients(gx * va + gy * vb, [x, y])
    h = hessian(f)(a, b)
    for i in range(2):
        assert hv[i] == pytest.approx(h[i][0] * va + h[i][1] * vb, rel=1e-9, abs=1e-12)
    s, c = math.sin(a * b), math.cos(a * b)
    assert h[0][0] == pytest.approx(2 * b - b * b * s, rel=1e-9, abs=1e-12)
    assert h[0][1] == pytest.approx(2 * a + c - a * b * s, rel=1e-9, abs=1e-12)
    assert h[1][1] == pytest.approx(-a * a * s, rel=1e-9, abs=1e-12)


def test_default_backward_stays_floats():
    x = Value(0.3)
    y = (x * x).tanh() * x.exp()
    y.backward()
    assert type(x.grad) is float
    assert type(y.grad) is float


def test_create_graph_gradients_accumulate_as_values():
    x = Value(2.0)
    (x * x).backward(create_graph=True)
    (x * x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert x.grad.data == 4.0 + 12.0
    (h,) = gradients(x.grad, [x])
    assert h == 2.0 + 12.0


def test_no_grad_inside_create_graph():
    # A no_grad block inside the function is a constant for every order of derivative.
    x = Value(3.0)
    with no_grad():
        c = x * x
    y = x * c
    y.backward(create_graph=True)
    assert x.grad.data == 9.0
    (h,) = gradients(x.grad, [x])
    assert h == 0.0
    # backward(create_graph=True) called inside no_grad still records the gradient graph:
    # create_graph asks for it explicitly.
    x = Value(3.0)
    y = x * x * x
    with no_grad():
        y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and not x.grad.is_leaf
    (h,) = gradients(x.grad, [x])
    assert h == 18.0
