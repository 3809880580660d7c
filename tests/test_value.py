"""``Value`` itself: construction, inspection, repr/format, comparisons, detach, zero_grad."""

from __future__ import annotations

import math
import re

from autograd_core import Value, dot, no_grad, sum_of


def test_construction_defaults():
    x = Value(2)
    assert type(x.data) is float and x.data == 2.0
    assert x.grad == 0.0 and type(x.grad) is float
    assert x.label == "" and x.op == "" and x.is_leaf
    assert x.parents == () and x._op is None
    y = Value(-1.5, label="y")
    assert y.label == "y"
    assert Value(3.0, "z").label == "z"


def test_slots_no_instance_dict():
    x = Value(1.0)
    assert not hasattr(x, "__dict__")
    try:
        x.something = 1
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("Value accepted an unknown attribute")


def test_parents_and_op_of_each_arity():
    a, b = Value(1.0), Value(2.0)
    u = a.tanh()
    assert u.parents == (a,) and u.op == "tanh" and not u.is_leaf
    s = a * b
    assert s.parents == (a, b) and s.op == "*"
    d = dot([a, b], [b, a])
    assert d.parents == (a, b, b, a) and d.op == "dot"
    t = sum_of([a, b, a])
    assert t.parents == (a, b, a)
    assert isinstance(t.parents, tuple)
    assert s._prev == s.parents  # micrograd's name


def test_item_and_float():
    x = Value(2.5)
    assert x.item() == 2.5 and float(x) == 2.5
    assert math.isclose(math.exp(x), math.exp(2.5))  # math functions accept a Value


def test_repr_is_one_short_line():
    x = Value(2.0, label="x")
    o = (x * -0.5).tanh()
    o.label = "o"
    o.grad = 0.42
    r = repr(o)
    assert r == "Value(data=-0.7616, grad=0.4200, op='tanh', label='o')"
    assert repr(Value(1.0)) == "Value(data=1.0000, grad=0.0000)"
    assert repr(Value(3.0, label="w")) == "Value(data=3.0000, grad=0.0000, label='w')"
    big = Value(1e300) * 1e10
    assert repr(big) == "Value(data=inf, grad=0.0000, op='*')"
    assert repr(Value(math.nan)) == "Value(data=nan, grad=0.0000)"
    weird = Value(0.0, label="a\nb")
    assert "\n" not in repr(weird)


def test_repr_with_a_value_gradient_shows_its_number():
    x = Value(3.0)
    y = x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert re.fullmatch(r"Value\(data=3\.0000, grad=6\.0000\)", repr(x))


def test_format():
    x = Value(math.pi)
    assert f"{x:.3f}" == "3.142"
    assert f"{x:8.2f}" == "    3.14"
    assert f"{x:e}" == f"{math.pi:e}"
    assert f"{x}" == repr(x)
    assert str(x) == repr(x)


def test_ordering_compares_numbers_but_equality_is_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and a <= 1 and a > 0 and a >= 1.0
    assert 0.5 < a  # reflected through __gt__
    assert max([a, b, Value(-1.0)]) is b
    assert sorted([b, a]) == [a, b]
    twin = Value(1.0)
    assert a != twin and not (a == twin) and a == a
    assert len({a, twin, a}) == 2
    assert {a: "first"}[a] == "first"


def test_detach_is_a_new_leaf_with_the_same_number():
    x = Value(2.0)
    y = (x * 3).tanh()
    y.label = "y"
    d = y.detach()
    assert d is not y and d.is_leaf and d.parents == ()
    assert d.data == y.data and d.label == "y" and d.grad == 0.0
    z = d * x
    z.backward()
    assert x.grad == d.data  # no gradient through the detached branch
    assert y.grad == 0.0


def test_zero_grad_method_resets_the_whole_graph():
    x, w = Value(2.0), Value(-1.0)
    h = (x * w).tanh()
    y = h * h
    y.backward()
    assert x.grad != 0.0 and w.grad != 0.0 and h.grad != 0.0 and y.grad == 1.0
    y.zero_grad()
    assert x.grad == w.grad == h.grad == y.grad == 0.0


def test_zero_grad_method_on_a_leaf():
    x = Value(1.0)
    x.grad = 5.0
    x.zero_grad()
    assert x.grad == 0.0


def test_nodes_made_under_no_grad_are_leaves_with_the_right_number():
    x = Value(0.5)
    with no_grad():
        y = (x * 2).tanh()
        s = sum_of([x, x])
        d = dot([x], [x], bias=1.0)
    for node in (y, s, d):
        assert node.is_leaf and node.parents == () and node.op == ""
    assert y.data == math.tanh(1.0) and s.data == 1.0 and d.data == 1.25


def test_data_can_be_reassigned_like_micrograd():
    # micrograd's SGD step: p.data += -lr * p.grad
    p = Value(1.0)
    (p * p).backward()
    p.data += -0.1 * p.grad
    assert math.isclose(p.data, 0.8)
