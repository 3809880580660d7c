import math

from autograd_core import Value


def test_tanh_neuron_matches_closed_form():
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    o = (x * w + b).tanh()
    o.backward()
    slope = 1 - math.tanh(2.0 * -3.0 + 6.8813735870195432) ** 2
    assert math.isclose(o.data, math.tanh(0.8813735870195432), rel_tol=1e-12)
    assert math.isclose(x.grad, -3.0 * slope, rel_tol=1e-12)
    assert math.isclose(w.grad, 2.0 * slope, rel_tol=1e-12)
    assert math.isclose(b.grad, slope, rel_tol=1e-12)
