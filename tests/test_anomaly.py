"""detect_anomaly(): the first NaN or infinity, forward or backward, names the op and the line."""

from __future__ import annotations

import inspect
import math
import threading

import pytest

from autograd_core import (
    Value,
    detect_anomaly,
    grad,
    is_anomaly_enabled,
    no_grad,
    primitive,
)
from autograd_core.primitives import creation_site

HERE = __file__


def _line_of(marker: str) -> int:
    """The line number in this file of the line containing ``marker`` (so tests survive edits)."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if marker in line and "_line_of(" not in line]
    assert len(hits) == 1, (marker, hits)
    return hits[0]


def test_off_by_default_nan_passes_through():
    assert not is_anomaly_enabled()
    y = Value(0.0) * math.inf
    assert math.isnan(y.data)


def test_nan_from_zero_times_inf_names_op_inputs_and_line():
    zero = Value(0.0, label="zero")
    big = Value(1e308, label="big")
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        _ = big * 10.0  # ANOMALY-INF: the forward check stops here already
    message = str(info.value)
    assert "'*'" in message and "inf" in message
    assert f"{HERE}:{_line_of('ANOMALY-INF')}" in message
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        _ = zero * math.inf  # ANOMALY-NAN
    message = str(info.value)
    assert "'*'" in message and "nan" in message
    assert "zero=0.0" in message  # the inputs, by label
    assert f"{HERE}:{_line_of('ANOMALY-NAN')}" in message


def test_nan_deep_inside_an_expression_names_the_inner_line():
    x = Value(2.0, label="x")
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        a = (x * 400).exp()  # ANOMALY-EXP-OVERFLOW (exp(800) = inf)
        (a - a).tanh()
    assert "'exp'" in str(info.value)
    assert f"{HERE}:{_line_of('ANOMALY-EXP-OVERFLOW')}" in str(info.value)


def _sqrt_graph():
    x = Value(0.0, label="x")
    y = x.sqrt() * 3.0  # ANOMALY-SQRT
    return x, y


def test_infinite_gradient_names_the_node_and_its_line():
    with detect_anomaly():
        _, y = _sqrt_graph()
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert "backward of op 'sqrt'" in message
    assert "inf" in message
    assert "upstream grad 3.0" in message
    assert f"{HERE}:{_line_of('ANOMALY-SQRT')}" in message


def test_infinite_gradient_with_create_graph_names_the_node_not_the_backward_call():
    # Regression: with create_graph the product g * inf was checked first, as an op '*' made
    # on the line of the backward() call.
    with detect_anomaly():
        _, y = _sqrt_graph()
        with pytest.raises(FloatingPointError) as info:
            y.backward(create_graph=True)
    message = str(info.value)
    assert "backward of op 'sqrt'" in message
    assert f"{HERE}:{_line_of('ANOMALY-SQRT')}" in message


def test_nan_gradient_from_a_custom_rule_is_caught_in_backward():
    # Forward finite everywhere, derivative NaN: only the backward check can see it.
    weird = primitive("anomaly_weird", lambda x: x, lambda x, out: math.nan)
    x = Value(1.0)
    with detect_anomaly():
        y = weird(x) + 1.0  # ANOMALY-WEIRD
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    assert "anomaly_weird" in str(info.value)
    assert "nan" in str(info.value)
    assert f"{HERE}:{_line_of('ANOMALY-WEIRD')}" in str(info.value)


def test_functional_grad_under_anomaly_points_into_users_function():
    def f(x):
        return (x - x).log()  # ANOMALY-IN-F: log(0) is a domain error, not an anomaly

    def g(x):
        return x * math.inf  # ANOMALY-IN-G

    with detect_anomaly():
        with pytest.raises(ValueError):
            grad(f)(1.0)
        with pytest.raises(FloatingPointError) as info:
            grad(g)(0.0)
    assert f"{HERE}:{_line_of('ANOMALY-IN-G')}" in str(info.value)


def test_creation_sites_are_recorded_only_inside_detect_anomaly():
    x = Value(1.0)
    outside = x * 2
    with detect_anomaly():
        inside = x * 2  # ANOMALY-SITE
    assert creation_site(outside) is None
    assert creation_site(inside) == f"{HERE}:{_line_of('ANOMALY-SITE')}"


def test_clean_computation_is_unchanged_by_anomaly_mode():
    def run():
        x = Value(0.7)
        y = (x.sin() * x.exp()).tanh() / (1 + x * x)
        y.backward()
        return y.data, x.grad

    plain = run()
    with detect_anomaly():
        checked = run()
    assert plain == checked


def test_anomaly_mode_is_per_thread_and_nests_with_no_grad():
    seen = {}
    inside = threading.Event()
    done = threading.Event()

    def worker():
        with detect_anomaly():
            inside.set()
            done.wait(5)
            seen["worker"] = is_anomaly_enabled()

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(5)
    seen["main"] = is_anomaly_enabled()
    y = Value(0.0) * math.inf  # no error: anomaly mode is on in the other thread only
    done.set()
    t.join(5)
    assert seen == {"worker": True, "main": False}
    assert math.isnan(y.data)
    with detect_anomaly():
        with no_grad():
            assert is_anomaly_enabled()
            z = Value(0.0) * math.inf  # not recorded under no_grad: nothing to check
        assert z.is_leaf
    assert not is_anomaly_enabled()
