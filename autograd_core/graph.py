"""Graph traversal and the chain rule: topological order, ``backward``, ``gradients``.

Nothing here recurses, so a chain of a million ops runs at Python's default recursion limit.
The order is a depth-first post-order, reversed: the root comes first and every node comes
before the nodes it was computed from, which is the order the chain rule needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from . import mode as _mode
from .primitives import (
    BINARY,
    LINEAR_BINARY,
    LINEAR_UNARY,
    UNARY,
    anomaly_backward,
    local_derivatives,
    rule_failure,
)
from .value import Value, to_float


def topological_order(
    root: Value, stop: Iterable[Value] = (), *, leaves: bool = True
) -> list[Value]:
    """Every node ``root`` depends on, once each, ``root`` first and each node before its parents.

    Nodes in ``stop`` are treated as leaves: their parents are not visited. With
    ``leaves=False`` the leaves are left out (``root`` is always first).
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    stopping = set(stop)
    # Depth-first post-order with an explicit stack: a node is pushed back under a ``None``
    # marker while its parents are expanded, and emitted when the marker comes off again.
    seen: set[Value] = set()
    order: list[Value] = []
    stack: list[Value | None] = [root]
    push = stack.append
    pop = stack.pop
    emit = order.append
    mark = seen.add
    while stack:
        node = pop()
        if node is None:
            emit(pop())
            continue
        if node in seen:
            continue
        mark(node)
        a = node._a
        if a is None or (stopping and node in stopping):
            emit(node)
            continue
        push(node)
        push(None)
        b = node._b
        if b is not None:  # binary (the common case), unrolled
            if (leaves or a._a is not None) and a not in seen:
                push(a)
            if (leaves or b._a is not None) and b not in seen:
                push(b)
        elif type(a) is tuple:  # n-ary: the parents are a tuple
            for parent in a:
                if (leaves or parent._a is not None) and parent not in seen:
                    push(parent)
        elif (leaves or a._a is not None) and a not in seen:  # unary
            push(a)
    order.reverse()
    return order


def _seed(grad: Any) -> Any:
    if grad is None:
        return 1.0
    if isinstance(grad, Value):
        return grad
    return to_float(grad, "the seed gradient")


def backward(root: Value, grad: Any = None, *, create_graph: bool = False) -> None:
    """Set ``.grad`` of every node ``root`` depends on to d(root)/d(node), times ``grad``.

    Leaves accumulate (``+=``) across calls, as in PyTorch; intermediate nodes are overwritten
    with this pass's gradient. With ``create_graph=True`` the gradients are Values recorded as
    a graph, so they can be differentiated again. Such a gradient is built from the nodes that
    hold it (``x.grad`` refers to ``x``), a reference cycle as in PyTorch: reset the gradients
    (``root.zero_grad()``) to let the graph be freed at once rather than by the collector.

    If a rule fails (raises) during the pass, the gradients already sent stay where they
    are, as in PyTorch: leaves may hold part of this pass, so a retry would count it twice.
    Call ``zero_grad`` on them (``root.zero_grad()``, ``model.zero_grad()``) before trying
    again. With ``create_graph=True`` or inside ``detect_anomaly()`` the pass is all or
    nothing: a failure leaves every ``.grad`` as it was.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward() needs a Value, got {type(root).__name__}")
    seed = _seed(grad)
    if create_graph or isinstance(seed, Value) or _mode.current().anomaly:
        order = topological_order(root)
        grads = _propagate(order, seed, create_graph=create_graph)
        for node in order:
            g = grads.get(node, 0.0)
            node.grad = g if node._op is not None else _accumulate(node.grad, g)
        return
    # The fast path: floats only, every rule applied inline. Equivalent to _propagate.
    # Leaves need no place in the order: they only receive gradient.
    if root._op is None:
        root.grad = root.grad + seed
        return
    order = topological_order(root, leaves=False)
    for node in order:
        node.grad = 0.0
    root.grad = seed
    # A try costs nothing until something raises; then a custom op's rule that takes or
    # returns the wrong thing is named (rule_failure re-runs it), instead of a bare TypeError.
    try:
        for node in order:
            g = node.grad
            op = node._op
            kind = op.kind
            if kind == LINEAR_BINARY:
                da, db = op.rules
                node._a.grad += g * da
                node._b.grad += g * db
            elif kind == BINARY:
                a = node._a
                b = node._b
                da, db = op.rules
                x = a.data
                y = b.data
                out = node.data
                a.grad += g * da(x, y, out)
                b.grad += g * db(x, y, out)
            elif kind == UNARY:
                a = node._a
                a.grad += g * op.rules[0](a.data, node.data)
            elif kind == LINEAR_UNARY:
                node._a.grad += g * op.rules[0]
            elif op.accumulate is not None:
                op.accumulate(node._a, g)
            else:
                parents = node._a
                local = op.rules[0]([p.data for p in parents], node.data)
                for parent, d in zip(parents, local, strict=True):
                    parent.grad += g * d
    except (TypeError, ValueError) as exc:
        cleared = next((p for p in node.parents if p.grad is None), None)
        if cleared is not None:
            raise TypeError(
                f"the .grad of {cleared.label or 'an input'} (of op {node.op!r}) is None, "
                "PyTorch's way of clearing it; here a gradient is a number: reset it with "
                "zero_grad([...]) (or .grad = 0.0) and call backward() again, as this pass "
                "stopped half way"
            ) from None
        failure = rule_failure(node)
        if failure is None:
            raise
        raise failure from exc


def _accumulate(old: Any, new: Any) -> Any:
    if type(old) is float and old == 0.0:
        return new
    return old + new


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _propagate(
    order: list[Value], seed: Any, *, create_graph: bool, stop: Iterable[Value] = ()
) -> dict[Value, Any]:
    """The chain rule over ``order``, storing gradients in a dict (``.grad`` is not touched).

    Nodes in ``stop`` keep their gradient and pass nothing on to their parents.
    """
    stop = set(stop)
    anomaly = _mode.current().anomaly
    recording = _mode.enable_grad() if create_graph else _mode.no_grad()
    grads: dict[Value, Any] = {order[0]: seed}
    with recording:
        for node in order:
            g = grads.get(node)
            if g is None or node._op is None or node in stop:
                continue
            # local_derivatives names a custom rule that takes or returns the wrong thing.
            for index, (parent, d) in enumerate(
                zip(node.parents, local_derivatives(node, symbolic=create_graph), strict=True)
            ):
                if type(d) is float and d == 1.0:
                    contribution = g
                elif type(d) is float and d == -1.0:
                    contribution = -g
                else:
                    if anomaly and create_graph:  # check before g * d records a node that
                        # anomaly mode would flag as '*' made by the backward() call
                        anomaly_backward(node, index, _number(g) * _number(d), g)
                    contribution = g * d
                if anomaly:
                    anomaly_backward(node, index, contribution, g)
                old = grads.get(parent)
                grads[parent] = contribution if old is None else old + contribution
    return grads


def gradients(
    root: Value,
    inputs: Sequence[Value],
    grad: Any = None,
    *,
    create_graph: bool = False,
) -> list[Any]:
    """d(root)/d(input) for each input, leaving every ``.grad`` alone (``torch.autograd.grad``).

    An input that ``root`` does not depend on gets 0.0. With ``create_graph=True`` the results
    are Values that can be differentiated again.

    >>> from autograd_core import Value
    >>> x = Value(3.0); y = x * x
    >>> gradients(y, [x])
    [6.0]
    """
    if isinstance(inputs, Value):
        raise TypeError("gradients() takes a list of inputs, got a single Value; use [x]")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"inputs[{i}] must be a Value, got {type(x).__name__}")
    # No pruning at the inputs: when one input depends on another (gradients(y, [t, x]) with
    # t = f(x)), the path through t is part of dy/dx, as in torch.autograd.grad.
    order = topological_order(root)
    grads = _propagate(order, _seed(grad), create_graph=create_graph)
    return [grads.get(x, 0.0) for x in inputs]


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``.grad`` of each given Value to 0.0 (for example a model's parameters)."""
    if isinstance(values, Value):
        raise TypeError(
            "zero_grad expects an iterable of Values, got a single Value; "
            "use zero_grad([x]) or x.zero_grad()"
        )
    try:
        values = iter(values)
    except TypeError:
        raise TypeError(
            "zero_grad expects an iterable of Values (a list, or model.parameters()), "
            f"got {type(values).__name__}"
        ) from None
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"zero_grad expects Values, got {type(v).__name__}")
        v.grad = 0.0
