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
        parts = [f"data={self.data:.4f}", f"grad={grad:.4f}"]
        if self._op is not None:
            parts.append(f"op={self._op.name!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
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
        ``Value`` with a graph of its own, so it can be differentiated again.
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


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else to_float(x, "the other operand")


def lift(x: Any) -> Value:
    """``x`` itself if it is a Value, else a constant leaf holding ``float(x)``."""
    if isinstance(x, Value):
        return x
    return Value(to_float(x, "operand"))


def isfinite(x: Value | float) -> bool:
    """True when the number held is neither NaN nor infinite."""
    return math.isfinite(x.data if isinstance(x, Value) else x)
