"""The engine under hostile input: op names, custom rules and checks, odd numbers, copying.

Every error here must come from our code and name what was wrong (the op, what its rule
returned), never a bare ``TypeError`` from deep inside ``graph.py``.
"""

from __future__ import annotations

import copy
import math
import pickle
import sys

import numpy as np
import pytest

from autograd_core import (
    Op,
    Value,
    backward,
    gradients,
    local_derivatives,
    primitive,
    registered_ops,
    sum_of,
    to_float,
    topological_order,
    zero_grad,
)
from autograd_core import primitives as P

# --------------------------------------------------------------------------- method names
TAKEN = [
    "backward", "data", "grad", "label", "detach", "item", "zero_grad", "parents", "op",
    "is_leaf", "backward_steps", "_prev", "_op", "_a", "_b",
]


@pytest.mark.parametrize("name", TAKEN)
def test_a_method_op_may_not_take_a_name_value_already_has(name):
    before = getattr(Value, name)
    with pytest.raises(ValueError, match=rf"Value already has .*{name!r}"):
        primitive(name, lambda x: x, lambda x, out: 1.0, method=True)
    assert name not in registered_ops()  # refused before it was registered
    assert getattr(Value, name) is before
    x = Value(2.0)
    y = x * x
    y.backward()
    assert x.grad == 4.0 and y.op == "*" and x.data == 2.0


@pytest.mark.parametrize("name", ["__init__", "__len__", "__class__", "not an identifier", "1x"])
def test_a_method_op_needs_a_plain_identifier(name):
    with pytest.raises(ValueError, match="method"):
        primitive(name, lambda x: x, lambda x, out: 1.0, method=True)
    assert name not in registered_ops()


def test_a_method_installed_by_an_op_of_the_same_name_may_be_installed_again():
    op = primitive("hostile_twice", lambda x: 2 * x, lambda x, out: 2.0, method=True)
    assert Value(1.0).hostile_twice().data == 2.0
    P.install(op, method="hostile_twice")  # the same op again: allowed
    del P._registry["hostile_twice"]  # as if another session of the same module redefined it
    again = primitive("hostile_twice", lambda x: 3 * x, lambda x, out: 3.0, method=True)
    assert Value(1.0).hostile_twice().data == 3.0
    assert again.name == "hostile_twice"
    other = Op("hostile_other", lambda x: x, [1.0], arity=1)
    with pytest.raises(ValueError, match="Value already has"):
        P.install(other, method="hostile_twice")  # a different op's method
    with pytest.raises(ValueError, match="Value already has"):
        P.install(other, method="tanh")


# --------------------------------------------------------------------------- custom rules
@pytest.mark.parametrize("returned", ["1.0", None, [1.0], {"d": 1}])
@pytest.mark.parametrize("how", ["backward", "create_graph", "gradients", "local"])
def test_a_unary_rule_returning_a_non_number_is_named(returned, how):
    name = f"hostile_ret_{type(returned).__name__}_{how}"
    op = primitive(name, lambda x: 2 * x, lambda x, out: returned)
    x = Value(1.5)
    y = op(x) * 3
    with pytest.raises(TypeError) as info:
        if how == "backward":
            y.backward()
        elif how == "create_graph":
            y.backward(create_graph=True)
        elif how == "gradients":
            gradients(y, [x])
        else:
            local_derivatives(y.parents[0])
    message = str(info.value)
    assert repr(name) in message
    assert type(returned).__name__ in message
    assert "rule" in message


def test_a_binary_rule_returning_a_non_number_is_named():
    op = primitive("hostile_bin_str", lambda a, b: a * b, lambda a, b, out: b,
                   lambda a, b, out: "a")
    a, b = Value(2.0), Value(3.0)
    with pytest.raises(TypeError, match=r"rule #1 of op 'hostile_bin_str' returned str 'a'"):
        op(a, b).backward()


@pytest.mark.parametrize("how", ["backward", "create_graph"])
def test_a_rule_taking_the_wrong_number_of_arguments_is_named(how):
    op = primitive(f"hostile_arity_{how}", math.sin, lambda x: math.cos(x))  # forgot `out`
    y = op(Value(0.5))
    with pytest.raises(TypeError, match=rf"op 'hostile_arity_{how}'.*\(x, out\)"):
        y.backward(create_graph=how == "create_graph")
    op2 = primitive(f"hostile_arity2_{how}", lambda a, b: a + b,
                    lambda a, b, out: 1.0, lambda a, out: 1.0)
    with pytest.raises(TypeError, match=rf"rule #1 of op 'hostile_arity2_{how}'.*\(a, b, out\)"):
        op2(Value(1.0), Value(2.0)).backward(create_graph=how == "create_graph")


@pytest.mark.parametrize("how", ["backward", "create_graph", "local"])
@pytest.mark.parametrize("returned", ["short", "long", "none", "str"])
def test_a_variadic_rule_returning_the_wrong_list_is_named(how, returned):
    rules = {
        "short": lambda d, out: [1.0] * (len(d) - 1),
        "long": lambda d, out: [1.0] * (len(d) + 1),
        "none": lambda d, out: None,
        "str": lambda d, out: ["x"] * len(d),
    }
    name = f"hostile_var_{returned}_{how}"
    op = primitive(name, sum, rules[returned], variadic=True)
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    y = op(xs)
    with pytest.raises((TypeError, ValueError)) as info:
        if how == "local":
            local_derivatives(y)
        else:
            y.backward(create_graph=how == "create_graph")
    message = str(info.value)
    assert repr(name) in message
    if returned in ("short", "long"):
        assert isinstance(info.value, ValueError)
        assert f"{2 if returned == 'short' else 4} derivatives for 3 inputs" in message
    else:
        assert isinstance(info.value, TypeError)
        assert ("NoneType" if returned == "none" else "str") in message


def test_a_rules_own_error_is_left_alone():
    def rule(x, out):
        raise ValueError("my own message")

    op = primitive("hostile_own_error", math.exp, rule)
    with pytest.raises(ValueError, match=r"^my own message$"):
        op(Value(1.0)).backward()
    good = primitive("hostile_int_rule", lambda x: 2 * x, lambda x, out: 2)  # an int is fine
    x = Value(1.0)
    good(x).backward()
    assert x.grad == 2.0


@pytest.mark.parametrize("returned", ["bad input", True, 0, ["no"]])
def test_a_check_returning_a_non_exception_is_refused_by_name(returned):
    name = f"hostile_check_{type(returned).__name__}"
    op = primitive(name, math.exp, lambda x, out: out, check=lambda x: returned, method=True)
    for call in (lambda: op(1.0), lambda: op(Value(1.0)), lambda: getattr(Value(1.0), name)()):
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert f"check of op {name!r}" in message and "exception" in message
        assert "BaseException" not in message
    binary = primitive(name + "_bin", lambda a, b: a, 1.0, 0.0, check=lambda a, b: returned)
    P.install(binary, dunder="hostile_matmul")  # any operator slot goes down the same path
    with pytest.raises(TypeError, match=f"check of op {name + '_bin'!r}"):
        Value(1.0).__hostile_matmul__(2.0)


def test_a_check_may_return_an_exception_class_or_instance():
    op = primitive("hostile_check_class", math.exp, lambda x, out: out,
                   check=lambda x: ArithmeticError if x > 1 else None)
    with pytest.raises(ArithmeticError):
        op(Value(2.0))
    assert op(Value(0.0)).data == 1.0


# --------------------------------------------------------------------------- odd numbers
def test_zero_grad_of_none_says_what_it_wanted():
    with pytest.raises(TypeError, match=r"zero_grad expects an iterable of Values.*NoneType"):
        zero_grad(None)
    with pytest.raises(TypeError, match=r"zero_grad expects an iterable of Values.*int"):
        zero_grad(3)
    x = Value(1.0)
    x.grad = 5.0
    zero_grad(iter([x]))
    assert x.grad == 0.0


@pytest.mark.parametrize("bad", [np.array(True), np.array(False), np.bool_(True),
                                 np.array([1.0]), np.array([[2]]), np.array(1 + 2j),
                                 np.array("1.5")])
def test_numpy_booleans_arrays_and_complex_are_refused(bad):
    with pytest.raises(TypeError, match="real number"):
        to_float(bad)
    with pytest.raises(TypeError, match="real number"):
        Value(bad)
    with pytest.raises(TypeError, match="real number"):
        Value(1.0) * bad


def test_numpy_real_scalars_and_0d_arrays_still_work():
    for good, expected in [(np.float64(1.5), 1.5), (np.int32(3), 3.0), (np.array(2.5), 2.5),
                           (np.array(4, dtype=np.uint8), 4.0), (np.float32(0.5), 0.5)]:
        assert to_float(good) == expected
        assert Value(good).data == expected


# --------------------------------------------------------------------------- copy and pickle
def _chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, label="x")
    y = x
    for i in range(n):
        y = (y * 1.0001 + 0.001).tanh() if i % 3 == 0 else y + x
    return x, y


def _same_graph(a: Value, b: Value) -> None:
    """``b`` is a faithful copy of ``a``: same shape, numbers, grads, labels and ops."""
    order_a = topological_order(a)
    order_b = topological_order(b)
    assert len(order_a) == len(order_b)
    index_a = {node: i for i, node in enumerate(order_a)}
    index_b = {node: i for i, node in enumerate(order_b)}
    for na, nb in zip(order_a, order_b, strict=True):
        assert na is not nb
        assert (nb.data, nb.label, nb._op) == (na.data, na.label, na._op)
        assert nb.grad == na.grad or (math.isnan(na.grad) and math.isnan(nb.grad))
        assert [index_b[p] for p in nb.parents] == [index_a[p] for p in na.parents]


@pytest.mark.parametrize("n", [150, 10**5])
def test_deepcopy_of_a_deep_chain(n):
    assert sys.getrecursionlimit() <= 10_000
    x, y = _chain(n)
    y.backward()
    y.label = "y"
    y2 = copy.deepcopy(y)
    _same_graph(y, y2)
    (x2,) = [node for node in topological_order(y2) if node.label == "x"]  # still shared
    assert x2.grad == x.grad and x2 is not x
    assert y2.label == "y"


@pytest.mark.parametrize("n", [150, 10**5])
def test_pickle_of_a_deep_chain(n):
    _, y = _chain(n)
    y.backward()
    y2 = pickle.loads(pickle.dumps(y))
    _same_graph(y, y2)
    y2.zero_grad()
    y2.backward()
    _same_graph(y, y2)  # the copy differentiates like the original


def test_copies_keep_sharing_between_objects_copied_together():
    x = Value(2.0, label="x")
    w = Value(3.0, label="w")
    h = x * w
    y = h.tanh() + h
    z = h * x
    y.backward()
    for copied in (copy.deepcopy([x, y, z, h, w]), pickle.loads(pickle.dumps([x, y, z, h, w]))):
        x2, y2, z2, h2, w2 = copied
        assert y2.parents[0].parents[0] is h2 and y2.parents[1] is h2
        assert z2.parents == (h2, x2) and h2.parents == (x2, w2)
        assert (x2.grad, w2.grad, h2.grad) == (x.grad, w.grad, h.grad)
        assert x2 is not x
    memo_copy = copy.deepcopy({"a": y, "b": y})
    assert memo_copy["a"] is memo_copy["b"]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("dumps", [pickle.dumps, pickle._dumps], ids=["C", "python"])
def test_pickle_shares_nodes_in_any_order_with_any_protocol_and_pickler(dumps, protocol):
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    z = y * x
    for objects in ([x, y, z], [z, y, x], [y, z, x], [z, x, y]):
        loaded = pickle.loads(dumps(objects, protocol=protocol))
        by_label = dict(zip(("xyz"[[x, y, z].index(o)] for o in objects), loaded, strict=True))
        x2, y2, z2 = by_label["x"], by_label["y"], by_label["z"]
        assert z2.parents == (y2, x2)
        assert y2.parents[0].parents == (x2, x2)
        assert (x2.data, y2.data, z2.data) == (x.data, y.data, z.data)
    from autograd_core import value as V

    assert V._where == {} and V._members == {}  # nothing of the pickle outlives it


def test_one_pickler_shares_nodes_across_its_dump_calls():
    import io

    x = Value(1.0, label="x")
    y = x * 3
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer)
    pickler.dump(x)
    x.data = 5.0  # changed between the two dumps: as pickle does, the memo keeps the first
    pickler.dump(y)
    buffer.seek(0)
    unpickler = pickle.Unpickler(buffer)
    x2 = unpickler.load()
    y2 = unpickler.load()
    assert y2.parents[0] is x2 and y2.parents[1] is not x2
    del pickler
    assert pickle.loads(pickle.dumps(x)).data == 5.0  # a fresh pickle sees the new number


def test_copies_of_higher_order_gradients_and_variadic_nodes():
    x = Value(1.5, label="x")
    y = sum_of([x * x, x.sin(), Value(2.0)])
    y.backward(create_graph=True)  # x.grad is a Value whose graph contains x itself
    for y2 in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        (x2,) = [n for n in topological_order(y2) if n.label == "x"]
        assert isinstance(x2.grad, Value) and x2.grad.data == x.grad.data
        assert x2 in topological_order(x2.grad)  # the gradient's graph points at the copy
        (d2,) = gradients(x2.grad, [x2])
        (d,) = gradients(x.grad, [x])
        assert d2 == d


def test_copy_copy_is_shallow_and_ops_are_never_copied():
    x = Value(2.0)
    y = x * 3
    c = copy.copy(y)
    assert c is not y and c.parents[0] is x and c.data == y.data and c._op is y._op
    assert copy.deepcopy(y._op) is y._op
    assert copy.copy(y._op) is y._op


def test_pickling_an_unregistered_op_names_it():
    ad_hoc = Op("hostile_ad_hoc", lambda x: x + 1, [1.0], arity=1)
    y = ad_hoc(Value(1.0)) * 2
    with pytest.raises(pickle.PicklingError, match=r"'hostile_ad_hoc'.*primitive\(\)"):
        pickle.dumps(y)
    # deepcopy needs no name: the op object is shared
    assert copy.deepcopy(y).parents[0]._op is ad_hoc


_SCALED: dict[float, Op] = {}


def _scaled(k: float) -> Op:
    # An op factory, as ops.power_by is: its ops are not registered, they say how to remake them.
    if k not in _SCALED:
        _SCALED[k] = Op(f"hostile_scale{k:g}", lambda x: k * x, [float(k)], arity=1,
                        reduce=(_scaled, (k,)))
    return _SCALED[k]


def test_an_op_from_a_factory_is_pickled_by_its_recipe():
    y = _scaled(2.5)(Value(2.0)) + _scaled(0.5)(Value(1.0))
    y2 = pickle.loads(pickle.dumps(y))
    assert [p._op for p in y2.parents] == [_scaled(2.5), _scaled(0.5)]
    assert y2.data == 5.5
    with pytest.raises(TypeError, match=r"reduce= must be \(function, args tuple\)"):
        Op("hostile_bad_reduce", abs, [1.0], arity=1, reduce=_scaled)
    with pytest.raises(ValueError, match=r"with its module"):
        Op("hostile_bad_reduce", abs, [1.0], arity=1, reduce="NAME")


HELD = Op("hostile_held", lambda x: -x, [-1.0], arity=1, reduce=f"{__name__}.HELD")


def test_a_module_level_op_is_pickled_by_its_dotted_name():
    y = HELD(Value(2.0))
    assert pickle.loads(pickle.dumps(y))._op is HELD
    gone = Op("hostile_gone2", abs, [1.0], arity=1, reduce=f"{__name__}.NO_SUCH_OP")
    data = pickle.dumps(gone(Value(1.0)))
    with pytest.raises(pickle.UnpicklingError, match="NO_SUCH_OP"):
        pickle.loads(data)


def test_unpickling_without_the_op_registered_is_a_clear_error():
    op = primitive("hostile_gone", lambda x: x + 1, lambda x, out: 1.0)
    data = pickle.dumps(op(Value(1.0)))
    del P._registry["hostile_gone"]
    with pytest.raises(pickle.UnpicklingError, match=r"'hostile_gone'.*primitive\(\)"):
        pickle.loads(data)
    P._registry["hostile_gone"] = op
    assert pickle.loads(data)._op is op


def test_pickle_size_and_work_grow_linearly_with_depth():
    sizes = [len(pickle.dumps(_chain(n)[1])) for n in (2_000, 20_000)]
    assert sizes[1] < 12 * sizes[0]


def test_backward_fast_path_is_unchanged_for_builtins():
    # The wrapped loop gives the same numbers as the dict-based path for every kind of op.
    x = Value(0.7)
    w = Value(-1.2)
    y = sum_of([(x * w).tanh(), x**2, (x - w) / 3, -x]) + x.exp().log()
    y.backward()
    expected = gradients(y, [x, w])
    assert [x.grad, w.grad] == pytest.approx(expected)
    backward(y)  # a second pass accumulates on the leaves
    assert [x.grad, w.grad] == pytest.approx([2 * e for e in expected])


def test_a_second_derivative_graph_from_grad_pickles() -> None:
    # grad(grad(f)) on a Value keeps the transform's internal 'argument' op in the graph.
    import pickle

    from autograd_core import grad
    from autograd_core.graph import topological_order

    g = grad(grad(lambda x: (x * x).tanh()))(Value(0.7))
    assert "argument" in {n.op for n in topological_order(g)}
    copy_ = pickle.loads(pickle.dumps(g))
    assert copy_.data == g.data
    assert [n.op for n in topological_order(copy_)] == [n.op for n in topological_order(g)]
