"""``Value``: one scalar node of a computation graph.

A node holds its number (``data``), its gradient (``grad``), the ordered tuple of the nodes it
was computed from (``parents``) and the primitive that computed it (``op``). It holds no
closure: the local derivatives live once per primitive in :mod:`autograd_core.ops`, so a node
is a single small object with no reference cycle, and a graph is freed by reference counting
the moment it goes out of scope.

Arithmetic operators and methods such as ``tanh`` are installed on the class by the op table
(:mod:`autograd_core.ops`), so that adding a primitive touches that one file.
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, SupportsFloat

if TYPE_CHECKING:
    from .primitives import Op

Number = SupportsFloat


def to_float(x: Any, what: str = "data") -> float:
    """Convert a real number to ``float``; reject everything else with a ``TypeError``.

    ``int``, ``float`` and real-number types (``fractions.Fraction``, NumPy scalars) are
    accepted, and 0-d NumPy arrays of an integer or float dtype. ``bool`` (also NumPy's,
    and ``np.array(True)``), ``str``, ``None``, ``complex``, arrays of more than one number and
    containers are refused, because silently turning them into numbers hides bugs.
    """
    if type(x) is float:
        return x
    if (
        isinstance(x, (bool, str, bytes, complex))
        or x is None
        or type(x).__name__ in ("bool_", "bool")  # NumPy's booleans are not numbers.Integral
    ):
        raise TypeError(
            f"{what} must be a real number (int or float), got {type(x).__name__} {x!r:.60}"
        )
    if isinstance(x, numbers.Real) or (
        hasattr(x, "__float__") and not isinstance(x, numbers.Complex) and _one_real(x, what)
    ):
        try:
            return float(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{what} must be a real number, got {type(x).__name__} that float() rejects: {exc}"
            ) from None
        except OverflowError:  # an int (or Fraction) beyond float range: say so, as a ValueError
            raise ValueError(
                f"{what} must fit in a float (|x| < ~1.8e308); this {type(x).__name__} is "
                "too large for one, scale it down"
            ) from None
    raise TypeError(
        f"{what} must be a real number (int or float), got {type(x).__name__}; "
        "use one Value per number (for a list, [Value(v) for v in values])"
    )


def _one_real(x: Any, what: str) -> bool:
    """True for a number-like ``x`` that is not a NumPy array of booleans, of complex, or of
    more than one number (checked by its ``dtype`` and ``ndim``, without importing NumPy)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "f") not in "iuf":
        # a 0-d boolean array (np.array(True)) is a bool; complex or strings are no real number
        raise TypeError(
            f"{what} must be a real number (int or float), got {type(x).__name__} of dtype "
            f"{dtype} {x!r:.60}"
        )
    if getattr(x, "ndim", 0):
        raise TypeError(
            f"{what} must be a real number, got a {type(x).__name__} of shape "
            f"{getattr(x, 'shape', '?')}; use one Value per number"
        )
    return True


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can differentiate.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad          # dy/dx = 2x + 3
    7.0

    ``grad`` starts at 0.0. Gradients of leaves (nodes you created) accumulate across
    ``backward()`` calls, as in PyTorch; reset them with ``zero_grad``. Intermediate nodes hold
    the gradient of the latest pass only.
    """

    # One object per node and no tuple: the parents sit in two slots. ``_a`` and ``_b`` hold a
    # binary op's inputs, ``_a`` alone a unary op's, ``_a`` a tuple for an n-ary op (``dot``).
    # Every container a node allocates is work for Python's cyclic garbage collector, so a
    # node that is one object builds about twice as fast as one that also carries a tuple.
    __slots__ = ("data", "grad", "_op", "_a", "_b", "label", "__weakref__")

    data: float
    grad: Any  # float, or a Value after backward(create_graph=True)
    _op: Op | None
    _a: Any
    _b: Value | None
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else to_float(data)
        self.grad = 0.0
        self._op = None
        self._a = None
        self._b = None
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.label = label

    # ----------------------------------------------------------------- inspection
    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this one was computed from, in argument order (``a + a`` lists ``a`` twice)."""
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return a
        b = self._b
        return (a,) if b is None else (a, b)

    _prev = parents  # micrograd's name, for code written against it

    @property
    def op(self) -> str:
        """The name of the primitive that made this node; ``""`` for a leaf."""
        return "" if self._op is None else self._op.name

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user (or under ``no_grad``), not by an op."""
        return self._op is None

    def item(self) -> float:
        """The number held, as in PyTorch's ``tensor.item()``."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        parts = [_field("data", self.data), _field("grad", grad)]
        if self._op is not None:
            parts.append(f"op={self._op.name!r}")
        label = self.label
        if type(label) is str:
            if label:
                parts.append(f"label={label!r}")
        else:  # set by hand to something else: shown by its repr, whatever it is
            try:
                parts.append(f"label={label!r:.60}")
            except Exception:
                parts.append(f"label=<{type(label).__name__}>")
        return f"Value({', '.join(parts)})"

    def __format__(self, spec: str) -> str:
        """Format the data: ``f"{x:.3f}"``; an empty spec gives the repr."""
        return format(self.data, spec) if spec else repr(self)

    # Ordering compares the numbers (handy for ``max`` and early stopping). Equality stays
    # identity so that nodes can be dict keys and set members, as graph traversal needs.
    def __lt__(self, other: Any) -> bool:
        return self.data < _number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _number(other)

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- autograd
    def backward(self, grad: Any = None, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        ``grad`` seeds the root (default 1.0). With ``create_graph=True`` every gradient is a
        ``Value`` with a graph of its own, so it can be differentiated again. If a rule fails
        during the pass, leaves keep what was sent before (as in PyTorch): ``zero_grad``
        before trying again (see :func:`autograd_core.backward`).
        """
        from .graph import backward

        backward(self, grad, create_graph=create_graph)

    def backward_steps(self, grad: Any = None) -> Any:
        """``backward()`` one node at a time: yields a ``Step`` per node (see ``steps.py``)."""
        from .steps import backward_steps

        return backward_steps(self, grad)

    def zero_grad(self) -> None:
        """Set ``grad`` of this node and of every node it depends on back to 0.0."""
        from .graph import topological_order

        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same number and no history (gradients stop here)."""
        return Value(self.data, self.label)

    # ----------------------------------------------------------------- copying and pickling
    # Python's default for both follows parents recursively: a chain of 150 ops overflowed
    # the stack. Here the whole graph is walked with explicit stacks instead.
    def __copy__(self) -> Value:
        """A new node with the same number, gradient, label, op and the *same* parents."""
        twin = _new_node(type(self))
        twin.data = self.data
        twin.grad = self.grad
        twin.label = self.label
        twin._op = self._op
        twin._a = self._a
        twin._b = self._b
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """Copy the node and everything it was computed from (and gradients that are Values).

        Nodes shared inside the graph, or with other objects copied in the same
        ``copy.deepcopy`` call, stay shared; ops are not copied.
        """
        done = memo.get(id(self))
        if done is not None:
            return done
        nodes = _closure(self, lambda node: id(node) in memo)
        keep = memo.setdefault(id(memo), [])  # as copy.deepcopy's own keep-alive list
        for node in nodes:
            memo[id(node)] = _new_node(type(node))
            keep.append(node)
        for node in nodes:
            twin = memo[id(node)]
            twin.data = node.data
            twin.label = node.label
            twin._op = node._op
            a = node._a
            if a is None:
                twin._a = None
            elif type(a) is tuple:
                twin._a = tuple([memo[id(p)] for p in a])
            else:
                twin._a = memo[id(a)]
            twin._b = None if node._b is None else memo[id(node._b)]
            g = node.grad
            twin.grad = memo[id(g)] if isinstance(g, Value) else g
        return memo[id(self)]

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle the node with its whole graph as one flat list (see :class:`_Graph`).

        Ops are pickled by their registered name. Nodes already pickled as part of another
        graph in the same pickle are referred to, not repeated, so sharing survives.
        """
        found = _graph_of(self)
        if found is None:
            graph = _Graph(self)
            found = (graph, graph.index[self])
        return (_node_of, found)


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else to_float(x, "the other operand")


def _field(name: str, x: Any) -> str:
    """``name=x`` for a repr: a float to 4 decimals; anything else (``v.grad = "oops"``
    set by hand) as its own repr, so that showing a broken node never raises."""
    if type(x) is float:
        return f"{name}={x:.4f}"
    try:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return f"{name}={float(x):.4f}"
    except OverflowError:
        pass
    try:
        return f"{name}={x!r:.60}"
    except Exception:
        return f"{name}=<{type(x).__name__}>"


_new_node = object.__new__


def _closure(root: Value, known: Callable[[Value], bool]) -> list[Value]:
    """``root`` and the nodes it reaches through parents and gradients that are Values, each
    after its parents, not going past nodes for which ``known`` is true (they are left out).

    Iterative (a depth-first post-order with explicit stacks), so any depth is fine.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    roots = [root]
    while roots:
        start = roots.pop()
        if start in seen or known(start):
            continue
        stack: list[Value | None] = [start]
        while stack:
            node = stack.pop()
            if node is None:  # its parents are all emitted: emit it
                done = stack.pop()
                assert done is not None
                order.append(done)
                if isinstance(done.grad, Value):  # no order needed: gradients are set last
                    roots.append(done.grad)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append(node)
            stack.append(None)
            for parent in node.parents:
                if parent not in seen and not known(parent):
                    stack.append(parent)
    return order


# Pickling. A root being pickled becomes a _Graph: its closure as a flat list, pickled as
# plain records (numbers, labels, ops, and parent *indices*), so no recursion follows the
# parents. Each node pickles as (_node_of, (graph, index)). While a _Graph is alive -- the
# pickler's memo holds it until the pickle is finished -- a node inside it pickles as a
# reference into it, so a model's parameters and a loss built from them, pickled together,
# still share their nodes when loaded. Once the pickler is gone, the _Graph goes too (the
# weak reference's callback forgets its nodes), and a later pickle starts afresh.
_where: dict[int, tuple[weakref.ref[_Graph], int]] = {}
_members: dict[weakref.ref[_Graph], list[int]] = {}


def _forget(ref: weakref.ref[_Graph]) -> None:
    for key in _members.pop(ref, ()):
        entry = _where.get(key)
        if entry is not None and entry[0] is ref:
            _where.pop(key, None)


def _graph_of(node: Value) -> tuple[_Graph, int] | None:
    """The live _Graph holding ``node`` (and its index there), if it is being pickled."""
    entry = _where.get(id(node))
    if entry is None:
        return None
    graph = entry[0]()
    if graph is None or graph.nodes[entry[1]] is not node:
        return None
    return graph, entry[1]


class _Graph:
    """A node's graph, flattened for pickling; unpickles to the list of rebuilt nodes."""

    __slots__ = ("nodes", "index", "__weakref__")

    def __init__(self, root: Value) -> None:
        self.nodes = _closure(root, lambda node: id(node) in _where and _graph_of(node) is not None)
        self.index = {node: i for i, node in enumerate(self.nodes)}
        ref = weakref.ref(self, _forget)
        _members[ref] = [id(node) for node in self.nodes]
        for i, node in enumerate(self.nodes):
            _where[id(node)] = (ref, i)

    def __reduce__(self) -> tuple[Any, ...]:
        index = self.index

        def ref(node: Value) -> Any:  # an index into this graph, or a node of another one
            i = index.get(node)
            return node if i is None else i

        records = []
        links = []
        checked: set[int] = set()
        for i, node in enumerate(self.nodes):
            op = node._op
            if op is not None and id(op) not in checked:
                op.__reduce__()  # an op that cannot be pickled says so now, by name
                checked.add(id(op))
            a = node._a
            if a is not None:
                a = tuple([ref(p) for p in a]) if type(a) is tuple else ref(a)
            b = node._b
            grad = node.grad
            if isinstance(grad, Value):
                links.append((i, ref(grad)))
                grad = 0.0
            records.append(
                (type(node), node.data, grad, node.label, op, a, None if b is None else ref(b))
            )
        return (_rebuild_graph, (records, links))


def _rebuild_graph(records: list[tuple[Any, ...]], links: list[tuple[int, Any]]) -> list[Value]:
    nodes: list[Value] = []
    add = nodes.append

    def node_at(r: Any) -> Value:
        return nodes[r] if type(r) is int else r

    for cls, data, grad, label, op, a, b in records:
        node = _new_node(cls)
        node.data = data
        node.grad = grad
        node.label = label
        node._op = op
        if a is not None:
            a = tuple([node_at(p) for p in a]) if type(a) is tuple else node_at(a)
        node._a = a
        node._b = None if b is None else node_at(b)
        add(node)
    for i, grad in links:
        nodes[i].grad = node_at(grad)
    return nodes


def _node_of(nodes: list[Value], index: int) -> Value:
    return nodes[index]


def lift(x: Any) -> Value:
    """``x`` itself if it is a Value, else a constant leaf holding ``float(x)``."""
    if isinstance(x, Value):
        return x
    return Value(to_float(x, "operand"))


def isfinite(x: Value | float) -> bool:
    """True when the number held is neither NaN nor infinite."""
    return math.isfinite(x.data if isinstance(x, Value) else x)
