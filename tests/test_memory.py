"""Graphs are freed by reference counting the moment they are dropped: no reference cycles.

The checks that say "without gc.collect()" pause the cyclic collector for their few lines
(restoring its previous state in ``finally``), so that an automatic collection cannot hide a
cycle by freeing it behind the test's back. Nothing here changes thresholds or debug flags
for longer than one test.

One documented exception: ``backward(create_graph=True)`` stores, in ``.grad``, Values whose
graphs refer back to the nodes that hold them (``x.grad`` is built from ``x``), as in PyTorch.
Those cycles last until the gradients are reset (``zero_grad``) or the collector runs.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from autograd_core import (
    Value,
    detect_anomaly,
    dot,
    gradients,
    no_grad,
    sum_of,
    zero_grad,
)
from autograd_core.primitives import Op


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def saved_garbage() -> Iterator[list]:
    """Everything the collector finds unreachable while inside, instead of freeing it."""
    flags = gc.get_debug()
    gc.collect()
    del gc.garbage[:]
    gc.set_debug(flags | gc.DEBUG_SAVEALL)
    found: list = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(flags)
        del gc.garbage[:]


def build(x: Value, w: Value) -> tuple[Value, Value]:
    """A small network-like graph using every kind of node; returns (intermediate, root)."""
    h = (x * w + 0.5).tanh()
    u = dot([w, h], [x, 2.0], bias=1.0)
    v = sum_of([h, u.sigmoid(), (h * h).exp(), x**2, 2**h, abs(-u), u.relu()])
    root = (v / 3 - 1).sin() + (v.sqrt()).log() * h.cos()
    return h, root


def test_dropped_graph_is_freed_at_once():
    x, w = Value(0.3), Value(-1.2)
    with collector_paused():
        h, root = build(x, w)
        refs = [weakref.ref(h), weakref.ref(root)]
        del h, root
        assert all(r() is None for r in refs)


def test_dropped_graph_is_freed_after_backward():
    x, w = Value(0.3), Value(-1.2)
    with collector_paused():
        h, root = build(x, w)
        root.backward()
        root.backward()
        refs = [weakref.ref(h), weakref.ref(root)]
        del h, root
        assert all(r() is None for r in refs)
    assert x.grad != 0.0  # the leaves live on with their gradients


def test_dropped_graph_is_freed_after_gradients_and_anomaly_mode():
    x, w = Value(0.3), Value(-1.2)
    with collector_paused():
        with detect_anomaly():
            h, root = build(x, w)
            root.backward()
        gradients(root, [x, w, h])
        ref = weakref.ref(h)
        del h, root
        assert ref() is None


def test_nodes_made_under_no_grad_hold_nothing():
    x = Value(2.0)
    with collector_paused(), no_grad():
        y = x * x
        assert y.parents == ()
        ref = weakref.ref(y)
        del y
        assert ref() is None


def test_intermediate_dies_when_only_the_leaves_are_kept():
    x, w = Value(0.3), Value(-1.2)
    with collector_paused():
        h, root = build(x, w)
        ref = weakref.ref(h)
        root.backward()
        del h
        assert ref() is not None  # the root still needs it
        del root
        assert ref() is None


def test_a_deep_chain_is_freed_at_once():
    with collector_paused():
        y = Value(0.5)
        middle = None
        for i in range(100_000):
            y = y.tanh()
            if i == 50_000:
                middle = weakref.ref(y)
        y.backward()
        assert middle() is not None
        del y
        assert middle() is None


def test_building_and_dropping_graphs_leaves_no_cyclic_garbage():
    x, w = Value(0.3), Value(-1.2)
    with saved_garbage() as garbage:
        for _ in range(20):
            h, root = build(x, w)
            root.backward()
            gradients(root, [x, h])
            with no_grad():
                build(x, w)
        del h, root
    ours = [o for o in garbage if isinstance(o, (Value, Op))]
    assert ours == []


def test_backward_itself_leaves_no_cyclic_garbage_in_the_general_path():
    x, w = Value(0.3), Value(-1.2)
    with saved_garbage() as garbage:
        h, root = build(x, w)
        with detect_anomaly():
            root.backward()
        root.backward(Value(2.0))  # a Value seed takes the general path too
        del h, root
    assert [o for o in garbage if isinstance(o, Value)] == []


def test_create_graph_cycle_is_broken_by_zero_grad():
    # documented: x.grad is built from x, so the graph and its gradients form a cycle until
    # the gradients are reset. After zero_grad, dropping frees everything at once.
    x, w = Value(0.3), Value(-1.2)
    with collector_paused():
        h, root = build(x, w)
        root.backward(create_graph=True)
        assert isinstance(x.grad, Value)
        ref = weakref.ref(h)
        root.zero_grad()
        del h, root
        assert ref() is None


def test_create_graph_cycle_is_left_to_the_collector_otherwise():
    x = Value(0.3)
    with collector_paused():
        h = (x * x).tanh()
        y = h * 3
        y.backward(create_graph=True)
        ref = weakref.ref(h)
        del h, y
        zero_grad([x])
        if ref() is not None:  # the cycle h -> h.grad -> ... -> y -> h
            gc.collect()
        assert ref() is None


def test_first_derivative_graphs_from_gradients_are_freed():
    x = Value(0.7)
    with collector_paused():
        (d1,) = gradients((x * x).tanh(), [x], create_graph=True)
        ref = weakref.ref(d1)
        (d2,) = gradients(d1, [x])
        assert isinstance(d2, float)
        del d1
        assert ref() is None  # gradients() writes no .grad, so no cycle


@pytest.mark.parametrize(
    ("make", "per_node"),
    [
        (lambda y, c: y * c, 1),  # a binary node is one object: no tuple, no closure
        (lambda y, c: y.tanh(), 1),
        (lambda y, c: y**2, 1),
        (lambda y, c: -y, 1),
        (lambda y, c: dot([y], [c]), 2),  # n-ary: the node and its parents tuple
    ],
)
def test_each_node_allocates_few_tracked_containers(make, per_node):
    """The cyclic collector's cost grows with tracked objects; count them per node."""
    n = 2000
    c = Value(0.5)
    with collector_paused():
        y = Value(0.5)
        before = len(gc.get_objects())
        for _ in range(n):
            y = make(y, c)
        after = len(gc.get_objects())
    assert after - before <= per_node * n + 50
    assert y.data == y.data  # keep the chain alive until here
