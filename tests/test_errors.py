"""Bad input: rejected types raise TypeError naming the type; domain errors name op and number."""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from decimal import Decimal
from fractions import Fraction

import pytest

from autograd_core import (
    DivisionByZero,
    DomainError,
    Value,
    backward,
    dot,
    gradients,
    log,
    power,
    primitive,
    sqrt,
    sum_of,
    to_float,
    topological_order,
    zero_grad,
)
from autograd_core import ops as O

np = pytest.importorskip("numpy")

# (value, the type name the message must contain)
REJECTED = [
    (True, "bool"),
    (False, "bool"),
    ("1.0", "str"),
    (b"1", "bytes"),
    (None, "NoneType"),
    (1 + 2j, "complex"),
    (2j, "complex"),
    ([1.0], "list"),
    ((1.0,), "tuple"),
    ({"a": 1.0}, "dict"),
    ({1.0}, "set"),
    (OrderedDict(), "OrderedDict"),
    (object(), "object"),
    (np.array([1.0, 2.0]), "ndarray"),
    (np.complex128(1.0), "complex128"),
    (np.True_, "bool"),
]
IDS = [f"{name}-{i}" for i, (_, name) in enumerate(REJECTED)]


@pytest.mark.parametrize(("bad", "type_name"), REJECTED, ids=IDS)
def test_value_rejects_non_real_data(bad, type_name):
    with pytest.raises(TypeError, match=rf"\b{type_name}\b") as info:
        Value(bad)
    assert "real number" in str(info.value)


@pytest.mark.parametrize(("bad", "type_name"), REJECTED, ids=IDS)
def test_operators_reject_non_real_operands_on_either_side(bad, type_name):
    x = Value(2.0)
    ops = [
        lambda: x + bad,
        lambda: x - bad,
        lambda: x * bad,
        lambda: x / bad,
        lambda: x**bad,
    ]
    # Reflected forms, where Python hands the Value the number (containers and str
    # implement their own + and * for some operands, so only the dunder is called directly).
    ops += [
        lambda: x.__radd__(bad),
        lambda: x.__rsub__(bad),
        lambda: x.__rmul__(bad),
        lambda: x.__rtruediv__(bad),
        lambda: x.__rpow__(bad),
    ]
    for op in ops:
        with pytest.raises(TypeError, match=rf"\b{type_name}\b"):
            op()


@pytest.mark.parametrize("bad", [True, "x", None, 1j, [1.0]])
def test_module_functions_reject_non_real_arguments(bad):
    for fn in (O.exp, O.log, O.tanh, O.sigmoid, O.relu, O.sin, O.cos, O.absolute, O.neg):
        with pytest.raises(TypeError, match=type(bad).__name__):
            fn(bad)
    with pytest.raises(TypeError, match=type(bad).__name__):
        power(bad, 2.0)
    with pytest.raises(TypeError, match=type(bad).__name__):
        O.add(Value(1.0), bad)


def test_comparisons_reject_non_numbers():
    x = Value(1.0)
    with pytest.raises(TypeError, match="str"):
        _ = x < "2"
    with pytest.raises(TypeError, match="NoneType"):
        _ = x >= None
    assert x < 2 and x <= Value(1.0) and x > 0.5 and x >= Fraction(1, 1)


def test_accepted_real_number_types():
    for good, expected in [
        (3, 3.0),
        (-2, -2.0),
        (Fraction(1, 4), 0.25),
        (Decimal("1.5"), 1.5),
        (np.float32(0.5), 0.5),
        (np.float64(0.25), 0.25),
        (np.int64(7), 7.0),
        (np.array(2.0), 2.0),  # a 0-d array is a scalar
        (float("nan"), math.nan),
        (float("inf"), math.inf),
    ]:
        v = Value(good)
        assert type(v.data) is float
        assert v.data == expected or (math.isnan(expected) and math.isnan(v.data))


def test_int_too_large_for_a_float_is_a_value_error_not_overflow():
    for big in (10**400, -(10**400), 10**5000, Fraction(10**400, 3)):
        with pytest.raises(ValueError, match="too large"):
            Value(big)
    with pytest.raises(ValueError, match="too large"):
        Value(1.0) * 10**400


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


def test_to_float_names_what_was_wrong():
    with pytest.raises(TypeError, match=r"^weight must be a real number.*got str"):
        to_float("1", "weight")
    with pytest.raises(TypeError, match=r"list.*\[Value\(v\) for v in values\]"):
        to_float([1.0, 2.0])


# --------------------------------------------------------------------------- domain errors
def test_log_of_zero_and_negative():
    for bad in (0.0, -0.0, -1.0, -math.inf):
        with pytest.raises(DomainError, match=r"log.*" + re.escape(repr(bad))):
            Value(bad).log()
        with pytest.raises(ValueError, match=r"log"):
            log(bad)
        with pytest.raises(ValueError, match=r"log"):
            log(Value(bad))


def test_sqrt_of_negative():
    with pytest.raises(DomainError, match=r"sqrt.*-1\.0"):
        Value(-1.0).sqrt()
    with pytest.raises(ValueError, match=r"sqrt.*-1e-300"):
        sqrt(-1e-300)
    assert sqrt(0.0) == 0.0 and sqrt(-0.0) == 0.0  # -0.0 is not below zero


def test_division_by_zero():
    cases = [
        lambda: Value(1.0) / 0,
        lambda: Value(1.0) / 0.0,
        lambda: Value(1.0) / Value(0.0),
        lambda: Value(1.0) / -0.0,
        lambda: 1 / Value(0.0),
        lambda: O.div(1.0, 0.0),
    ]
    for case in cases:
        with pytest.raises(ZeroDivisionError, match=r"division by zero.*1\.0 / -?0\.0") as info:
            case()
        assert isinstance(info.value, DivisionByZero)
        assert isinstance(info.value, DomainError) and isinstance(info.value, ValueError)
    # 0 / 0 too: the divisor is what matters
    with pytest.raises(DivisionByZero, match=r"0\.0 / 0\.0"):
        Value(0.0) / 0


def test_zero_to_a_negative_power():
    cases = [
        lambda: Value(0.0) ** -1,
        lambda: Value(0.0) ** -0.5,
        lambda: Value(0.0) ** Value(-1.0),
        lambda: 0 ** Value(-1.0),
        lambda: 0.0 ** Value(-2.0),
        lambda: power(0.0, -1.0),
    ]
    for case in cases:
        with pytest.raises(ZeroDivisionError, match=r"0\.0 \*\* -") as info:
            case()
        assert isinstance(info.value, DivisionByZero)


def test_negative_base_to_a_fractional_power():
    cases = [
        lambda: Value(-8.0) ** (1 / 3),
        lambda: Value(-8.0) ** Value(1 / 3),
        lambda: (-8) ** Value(1 / 3),
        lambda: power(-8.0, 1 / 3),
        lambda: Value(-1.0) ** 0.5,
    ]
    for case in cases:
        with pytest.raises(DomainError, match=r"\(-\d\.0\) \*\* 0\.\d+.*non-integer") as info:
            case()
        assert not isinstance(info.value, ZeroDivisionError)
    # integer exponents of negative bases are fine
    assert (Value(-8.0) ** 3).data == -512.0
    assert (Value(-8.0) ** Value(-1.0)).data == -0.125


def test_domain_error_leaves_nothing_half_built():
    x = Value(-1.0)
    with pytest.raises(DomainError):
        x.log()
    assert x.grad == 0.0 and x.is_leaf


# --------------------------------------------------------------------------- misuse of the API
def test_dot_length_mismatch():
    with pytest.raises(ValueError, match=r"2 weights and 3 inputs"):
        dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"3 weights and 1 inputs"):
        dot([1.0, 2.0, 3.0], [Value(1.0)])


def test_dot_rejects_bad_elements():
    with pytest.raises(TypeError, match="str"):
        dot([Value(1.0)], ["2"])
    with pytest.raises(TypeError, match="NoneType"):
        dot([Value(1.0)], [None])
    with pytest.raises(TypeError, match="bool"):
        dot([Value(1.0)], [1.0], bias=True)


def test_sum_of_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        sum_of([])
    with pytest.raises(TypeError, match=r"sum_of.*int"):
        sum_of(5)
    with pytest.raises(TypeError, match=r"sum_of.*Value"):
        sum_of(Value(1.0))
    with pytest.raises(TypeError, match=r"sum_of.*str"):
        sum_of("12")
    with pytest.raises(TypeError, match="NoneType"):
        sum_of([Value(1.0), None])


def test_backward_and_friends_need_values():
    with pytest.raises(TypeError, match="float"):
        backward(1.0)
    with pytest.raises(TypeError, match="NoneType"):
        topological_order(None)
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got float"):
        gradients(Value(1.0) * 2, [Value(1.0), 2.0])
    with pytest.raises(TypeError, match="zero_grad expects Values, got str"):
        zero_grad([Value(1.0), "x"])
    with pytest.raises(TypeError, match=r"zero_grad.*a single Value.*zero_grad\(\[x\]\)"):
        zero_grad(Value(1.0))
    with pytest.raises(TypeError, match=r"gradients.*a single Value.*\[x\]"):
        gradients(Value(1.0) * 2, Value(1.0))
    with pytest.raises(TypeError, match=r"seed gradient.*str"):
        (Value(1.0) * 2).backward("1")
    with pytest.raises(TypeError, match=r"seed gradient.*bool"):
        (Value(1.0) * 2).backward(True)


def test_primitive_definition_errors():
    with pytest.raises(ValueError, match="exists already"):
        primitive("tanh", math.tanh, lambda x, out: 1 - out * out)
    with pytest.raises(TypeError, match="non-empty str name"):
        primitive("", math.tanh, lambda x, out: 1.0)
    with pytest.raises(TypeError, match="forward must be callable"):
        primitive("test_errors_not_callable", 3.0, lambda x, out: 1.0)
    with pytest.raises(TypeError, match="derivative rule must be callable"):
        primitive("test_errors_bad_rule", math.tanh, "1")
    with pytest.raises(ValueError, match="method=True"):
        primitive("test_errors_binary_method", lambda a, b: a, 1.0, 1.0, method=True)


def test_ops_check_argument_count():
    with pytest.raises(TypeError, match=r"takes 1 argument\(s\), got 2"):
        O.exp(1.0, 2.0)
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\), got 1"):
        O.add(1.0)


def test_a_user_forward_returning_a_non_number_is_named():
    bad = primitive("test_errors_complex_forward", lambda x: complex(x, 1), lambda x, out: 1.0,
                    method=True)
    for call in (lambda: bad(Value(1.0)), lambda: Value(1.0).test_errors_complex_forward(),
                 lambda: bad(1.0)):
        with pytest.raises(TypeError, match="op 'test_errors_complex_forward' must return a real"):
            call()
