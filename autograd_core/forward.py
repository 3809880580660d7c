"""Forward mode: tangents pushed from the inputs to the outputs with the same op table.

Reverse mode (:func:`autograd_core.backward`) starts at the output with ``d out / d out = 1``
and walks back, sending each node's gradient to its parents. Forward mode starts at the inputs
with a *tangent* (how fast each input moves, ``x.dot``) and walks forward: a node's tangent is
the sum, over its inputs, of the local derivative times that input's tangent,

    ``t.dot = sum_i  d t / d p_i  *  p_i.dot``

The local derivatives are the ops' own rules, the very ones ``backward`` uses (there is no
second rule table), so every op, a user's :func:`~autograd_core.primitive` included, works in
both modes. One forward pass gives the derivative of *every* node with respect to one
direction of the inputs; one reverse pass gives the derivative of one output with respect to
*every* input.

>>> from autograd_core import Value
>>> x = Value(3.0, label="x"); w = Value(-2.0, label="w")
>>> y = (x * w).tanh()
>>> t = forward_tangents(y, {x: 1.0})
>>> round(t[y], 6) == round(w.data * (1 - y.data ** 2), 6)
True

Nothing here recurses: a chain of a million ops runs at Python's default recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import mode as _mode
from .graph import topological_order
from .primitives import (
    BINARY,
    LINEAR_BINARY,
    LINEAR_UNARY,
    UNARY,
    local_derivatives,
    rule_failure,
)
from .value import Value, to_float

__all__ = ["forward_order", "forward_tangents"]


def _roots(root: Any, what: str) -> list[Value]:
    if isinstance(root, Value):
        return [root]
    if isinstance(root, (str, bytes)) or not isinstance(root, Iterable):
        raise TypeError(f"{what} needs a Value or a list of Values, got {type(root).__name__}")
    roots = list(root)
    for i, r in enumerate(roots):
        if not isinstance(r, Value):
            raise TypeError(f"{what}: root #{i} must be a Value, got {type(r).__name__}")
    return roots


def forward_order(root: Value | Sequence[Value]) -> list[Value]:
    """Every node the root(s) depend on, once each, inputs first: each node after its parents.

    The reverse of :func:`~autograd_core.topological_order`; for several roots, the nodes of
    the second root not already listed follow those of the first, and so on.
    """
    roots = _roots(root, "forward_order")
    if len(roots) == 1:
        return topological_order(roots[0])[::-1]
    order: list[Value] = []
    seen: set[Value] = set()
    for r in roots:
        if r in seen:
            continue
        for node in topological_order(r, seen)[::-1]:
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def check_seeds(seeds: Any, what: str, *, symbolic: bool = False) -> dict[Value, Any]:
    """``seeds`` as a dict Value -> float (or Value, when ``symbolic``); bad input raises."""
    if not isinstance(seeds, Mapping):
        raise TypeError(
            f"{what}: the tangents must be a dict from input Values to numbers, as "
            f"{{x: 1.0}}; got {type(seeds).__name__}"
        )
    checked: dict[Value, Any] = {}
    for node, t in seeds.items():
        if not isinstance(node, Value):
            raise TypeError(
                f"{what}: the tangents' keys must be Values (the inputs that move), got "
                f"{type(node).__name__} {node!r:.40}"
            )
        if symbolic and isinstance(t, Value):
            checked[node] = t
        else:
            checked[node] = to_float(t, f"the tangent of {node.label or 'an input'}")
    return checked


def tangent_terms(node: Value, tangents: Mapping[Value, Any],
                  symbolic: bool = False) -> tuple[tuple[Any, ...], list[Any]]:
    """``node``'s local derivatives and, per input, ``local * input tangent``.

    An input with no tangent (it does not depend on the seeded inputs) gives ``None``: its
    term is known to be zero and is not computed (so a slope of ``inf`` at a constant does not
    make ``inf * 0 = nan``, just as reverse mode sends nothing along such an edge).
    """
    locals_ = local_derivatives(node, symbolic=symbolic)
    terms: list[Any] = []
    for parent, d in zip(node.parents, locals_, strict=True):
        t = tangents.get(parent)
        if t is None:
            terms.append(None)
        elif symbolic and type(d) is float and d == 1.0:
            terms.append(t)
        elif symbolic and type(d) is float and d == -1.0:
            terms.append(-t)
        else:
            terms.append(d * t)
    return locals_, terms


def combine(seed: Any, terms: Sequence[Any]) -> Any:
    """The tangent from a node's seed (or None) and its terms (None: zero), summed in order.

    None when nothing contributes: the node does not depend on the seeded inputs.
    """
    total = seed
    for c in terms:
        if c is not None:
            total = c if total is None else total + c
    return total


def forward_tangents(
    root: Value | Sequence[Value],
    tangents: Mapping[Value, Any],
    *,
    create_graph: bool = False,
) -> dict[Value, Any]:
    """Forward mode over an existing graph: the tangent of every node ``root`` depends on.

    ``tangents`` maps input nodes to how fast they move (``{x: 1.0}`` gives ``d node / d x``
    for every node). The result maps every node of the graph (of every root, given a list) to
    its tangent, the sum over its inputs of local derivative times input tangent; 0.0 for nodes
    that do not depend on the seeded inputs. A seeded node that has parents of its own gets its
    seed *plus* what flows in from them, which agrees with ``gradients(root, [t, x])``:
    ``tangent[root] == sum(g * v)`` over the seeds. ``.grad`` is neither read nor written.

    With ``create_graph=True`` the tangents are Values recorded as a graph (the seeds may be
    Values too), so they can be differentiated again.

    >>> from autograd_core import Value
    >>> a = Value(3.0, label="a")
    >>> b = a + a; c = b * b
    >>> forward_tangents(c, {a: 1.0})[c]    # d c / d a = 8a
    24.0
    """
    roots = _roots(root, "forward_tangents")
    seeds = check_seeds(tangents, "forward_tangents", symbolic=create_graph)
    if not isinstance(create_graph, bool):
        raise TypeError(f"create_graph must be True or False, got {type(create_graph).__name__}")
    if not roots:
        return {}
    order = forward_order(roots)
    result: dict[Value, Any] = {}
    if not create_graph:
        _float_pass(order, seeds, result)
        return {node: result.get(node, 0.0) for node in order}
    with _mode.enable_grad():
        for node in order:
            seed = seeds.get(node)
            if node._op is None:
                if seed is not None:
                    result[node] = seed
                continue
            parents = node.parents
            if not any(p in result for p in parents):
                if seed is not None:
                    result[node] = seed
                continue
            _, terms = tangent_terms(node, result, create_graph)
            result[node] = combine(seed, terms)
    return {node: result.get(node, 0.0) for node in order}


def _float_pass(order: list[Value], seeds: dict[Value, Any], result: dict[Value, Any]) -> None:
    """forward_tangents on floats with the rules applied inline (as ``backward``'s fast path).

    The same arithmetic as :func:`tangent_terms` and :func:`combine`, which the steps use:
    terms in argument order, each ``local * tangent``, a missing tangent skipped.
    """
    get = result.get
    node = None
    try:
        for node in order:
            seed = seeds.get(node) if seeds else None
            op = node._op
            if op is None:
                if seed is not None:
                    result[node] = seed
                continue
            kind = op.kind
            if kind == BINARY or kind == LINEAR_BINARY:
                a = node._a
                b = node._b
                ta = get(a)
                tb = get(b)
                if ta is None and tb is None:
                    if seed is not None:
                        result[node] = seed
                    continue
                da, db = op.rules
                total = seed
                if ta is not None:
                    c = ta * da if type(da) is float else da(a.data, b.data, node.data) * ta
                    total = c if total is None else total + c
                if tb is not None:
                    c = tb * db if type(db) is float else db(a.data, b.data, node.data) * tb
                    total = c if total is None else total + c
                result[node] = total
            elif kind == UNARY or kind == LINEAR_UNARY:
                a = node._a
                ta = get(a)
                if ta is None:
                    if seed is not None:
                        result[node] = seed
                    continue
                d = op.rules[0]
                c = ta * d if kind == LINEAR_UNARY else d(a.data, node.data) * ta
                result[node] = c if seed is None else seed + c
            else:
                if not any(p in result for p in node._a):
                    if seed is not None:
                        result[node] = seed
                    continue
                result[node] = combine(seed, tangent_terms(node, result)[1])
    except (TypeError, ValueError) as exc:
        failure = rule_failure(node) if node is not None else None
        if failure is None:
            raise
        raise failure from exc
