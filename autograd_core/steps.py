"""The backward pass one node at a time: ``backward_steps``, ``Stepper`` and ``explain``.

Each step takes one node whose gradient is complete and sends it on to the node's parents
with the chain rule, exactly as :func:`autograd_core.backward` does, in the same order and
with the same float arithmetic, so after the last step every ``.grad`` equals what
``backward()`` gives. A step prints as the chain rule with numbers:

>>> from autograd_core import Value
>>> n = Value(0.881373587019543, label="n")
>>> o = n.tanh(); o.label = "o"
>>> for step in o.backward_steps():
...     print(step)
o = tanh(n): n.grad += (1 - o**2) * o.grad = 0.5 * 1.0 = 0.5
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import mode as _mode
from .graph import topological_order
from .primitives import anomaly_backward, local_derivatives
from .value import Value, to_float

__all__ = [
    "Explanation",
    "ForwardStep",
    "GradientPath",
    "GradientPaths",
    "ParentUpdate",
    "Step",
    "Stepper",
    "TangentTerm",
    "backward_steps",
    "count_paths",
    "explain",
    "expression",
    "format_number",
    "forward_steps",
    "gradient_paths",
    "label_text",
    "node_names",
]

_BINARY_OPERATORS = {"+", "-", "*", "/", "**"}

FULL_LIMIT = 10  # a node with at most this many inputs is always shown in full
TOP = 5  # a larger node shows its TOP largest contributions and a count of the rest
HTML_ROWS = 500  # explain()'s HTML table shows at most this many nodes
_PLACEHOLDER = re.compile(r"\{(x|a|b|out)\}")


# --------------------------------------------------------------------------- naming
def number_or_repr(x: Any) -> float | str:
    """``x`` (or a Value's ``data``) as a float, or, when it is not a number, its short repr.

    A field set by hand to a non-number (``v.grad = "oops"``) is shown, not raised on; the
    repr is cut to 40 characters, and an object whose repr fails is shown by its type name.
    Shared by :func:`format_number` and ``viz.text.format_field``.

    >>> number_or_repr(2), number_or_repr("oops"), number_or_repr(True)
    (2.0, "'oops'", 'True')
    """
    if isinstance(x, Value):
        x = x.data
    if type(x) is float:
        return x
    try:
        if isinstance(x, (bool, str, bytes, bytearray)):
            raise TypeError
        return float(x)
    except Exception:
        try:
            return f"{x!r:.40}"
        except Exception:
            return f"<{type(x).__name__}>"


def format_number(x: Any) -> str:
    """A float shortened to 4 significant digits, always showing it is a float (``1.0``).

    >>> format_number(0.7071067811865476), format_number(1.0), format_number(-2.5e-07)
    ('0.7071', '1.0', '-2.5e-07')
    """
    x = number_or_repr(x)
    if isinstance(x, str):
        return x
    text = f"{x:.4g}"
    if math.isfinite(x) and not any(c in text for c in ".en"):
        text += ".0"
    return text


def label_text(label: Any) -> str:
    """A node's label as text, for names: a ``str`` as it is, anything else by ``str()``.

    ``Value()`` takes only a ``str`` label, but ``.label`` can be set to anything later. A
    false label (``None``, ``0``, an empty list) is no label, like ``""``; any other is shown
    as ``str(label)``: ``5`` as ``5``, ``["L"]`` as ``['L']`` and bytes as their repr
    (``b'b'``: the engine does not guess an encoding). A label whose ``str()`` fails or is no
    ``str`` is shown as ``<TypeName>``.

    >>> label_text("x"), label_text(5), label_text(b"b"), label_text(None)
    ('x', '5', "b'b'", '')
    """
    if type(label) is str:
        return label
    try:
        if not label:
            return ""
        if isinstance(label, str):
            return str.__str__(label)  # a str subclass, as plain text
        text = str(label)
    except Exception:
        return f"<{type(label).__name__}>"
    return str.__str__(text) if isinstance(text, str) else f"<{type(label).__name__}>"


def node_names(root: Value) -> dict[Value, str]:
    """A short unique name for every node ``root`` depends on: its label, else ``t1``, ``t2``...

    Generated names count in forward order (inputs first); an unlabelled root is ``out``
    (``out_2`` if a label already says ``out``). A label used by two different nodes gets a
    suffix on its second use (``x``, ``x_2``), so every name points at one node. Every name
    is a ``str``: a label set to something else after creation is read by
    :func:`label_text` (``5`` is named ``"5"``).

    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * 3
    >>> sorted(node_names(y).values())
    ['out', 't1', 'x']
    """
    forward = topological_order(root)[::-1]
    labels = [
        label if type(label) is str else label_text(label)
        for label in [node.label for node in forward]
    ]
    taken = {label for label in labels if label}
    names: dict[Value, str] = {}
    used: set[str] = set()
    counter = 0
    for node, label in zip(forward, labels, strict=True):
        if label:
            name = label
            suffix = 1
            while name in used:
                suffix += 1
                name = f"{label}_{suffix}"
        elif node is root:
            name = "out"
            suffix = 1
            while name in taken or name in used:
                suffix += 1
                name = f"out_{suffix}"
        else:
            counter += 1
            name = f"t{counter}"
            while name in taken or name in used:
                counter += 1
                name = f"t{counter}"
        used.add(name)
        names[node] = name
    return names


def expression(node: Value, names: dict[Value, str]) -> str:
    """How ``node`` was computed, in its parents' names: ``tanh(n)``, ``x * w``, ``x**2``."""
    op = node._op
    if op is None:
        return "leaf"
    parents = node.parents
    if len(parents) > FULL_LIMIT:  # first three, the last and a count: bounded for any fan-in
        shown = [names.get(p, "?") for p in parents[:3]]
        return (f"{op.name}({', '.join(shown)}, ... {len(parents) - 4} more ..., "
                f"{names.get(parents[-1], '?')})")
    args = [names.get(p, "?") for p in parents]
    name = op.name
    if op.arity == 2 and name in _BINARY_OPERATORS:
        return f"{args[0]} {name} {args[1]}"
    if op.arity == 1 and name.startswith("**"):
        return f"{args[0]}{name}"
    if op.arity == 1 and name == "neg":
        return f"-{args[0]}"
    return f"{name}({', '.join(args)})"


def _formulas(node: Value, names: dict[Value, str]) -> list[str]:
    """Each local derivative of ``node`` as text in the nodes' names (``(1 - o**2)``)."""
    op = node._op
    parents = node.parents
    out = names.get(node, "?")
    arg_names = [names.get(p, "?") for p in parents]
    templates = op.formulas if op is not None else None
    if templates is None:
        return [f"d{out}/d{a}" for a in arg_names]
    if callable(templates):
        return [str(t) for t in templates(arg_names, out)]
    if op.arity == 1:
        mapping = {"x": arg_names[0], "out": out}
    else:
        mapping = {"a": arg_names[0], "b": arg_names[1], "out": out}
    return [
        _PLACEHOLDER.sub(lambda m: mapping.get(m.group(1), m.group(0)), str(t)) for t in templates
    ]


def _size_key(x: float) -> float:
    """Sort key for "largest first": NaN and infinities count as the largest."""
    return math.inf if math.isnan(x) else abs(x)


def _largest(values: Sequence[float], count: int) -> list[int]:
    """Indices of the ``count`` values largest in magnitude, largest first (ties by index)."""
    order = sorted(range(len(values)), key=lambda i: (-_size_key(values[i]), i))
    return order[:count]


def _cell(text: str) -> str:
    return html.escape(text, quote=False)


_TABLE_STYLE = (
    "<style>.autograd-table td, .autograd-table th {font-family: monospace; "
    "text-align: right; padding: 1px 8px;} .autograd-table td:first-child, "
    ".autograd-table th:first-child {text-align: left;}</style>"
)


# --------------------------------------------------------------------------- steps
@dataclass(frozen=True)
class ParentUpdate:
    """What one step sends to one parent: ``parent.grad += local * upstream``."""

    parent: Value
    name: str
    index: int  # position among the node's parents
    formula: str  # the local derivative as text, in the nodes' names
    local: float  # d node / d parent
    contribution: float  # local * upstream, added to parent.grad
    grad_after: float  # parent.grad once the contribution is added


@dataclass(frozen=True)
class Step:
    """One node sending its gradient to its parents (one application of the chain rule)."""

    index: int  # 0 for the first step
    node: Value
    name: str
    expression: str  # how the node was computed, e.g. "tanh(n)"
    upstream: float  # the node's gradient, d root / d node
    updates: tuple[ParentUpdate, ...]

    @property
    def parents(self) -> tuple[Value, ...]:
        """The nodes this step sends gradient to, in argument order."""
        return tuple(u.parent for u in self.updates)

    @property
    def summarised(self) -> bool:
        """True when ``str(step)`` shows only the largest contributions (many inputs)."""
        return len(self.updates) > FULL_LIMIT

    def line(self, update: ParentUpdate) -> str:
        """The chain-rule line of one update: ``x.grad += w * t1.grad = -3.0 * 1.0 = -3.0``."""
        line = (
            f"{update.name}.grad += {update.formula} * {self.name}.grad = "
            f"{format_number(update.local)} * {format_number(self.upstream)} = "
            f"{format_number(update.contribution)}"
        )
        if format_number(update.grad_after) != format_number(update.contribution):
            line += f" (now {format_number(update.grad_after)})"
        return line

    def largest(self, count: int = TOP) -> list[ParentUpdate]:
        """The ``count`` updates with the largest |contribution|, largest first."""
        picked = _largest([u.contribution for u in self.updates], count)
        return [self.updates[i] for i in picked]

    def lines(self, full: bool = False) -> list[str]:
        """One chain-rule line per parent, in argument order.

        A node with more than ``FULL_LIMIT`` inputs gives the ``TOP`` largest contributions
        (largest first) and a last line counting the others, unless ``full`` is true.
        """
        if full or not self.summarised:
            return [self.line(u) for u in self.updates]
        lines = [self.line(u) for u in self.largest(TOP)]
        more = len(self.updates) - TOP
        lines.append(f"... {more} more inputs, none with a larger |contribution| "
                     f"(step.full_text() lists all {len(self.updates)})")
        return lines

    def _text(self, full: bool) -> str:
        head = f"{self.name} = {self.expression}:"
        lines = self.lines(full=full)
        if not lines:
            return head
        pad = " " * (len(head) + 1)
        return f"{head} " + f"\n{pad}".join(lines)

    def full_text(self) -> str:
        """The step with one line for every input, however many there are."""
        return self._text(full=True)

    def __str__(self) -> str:
        return self._text(full=False)

    def _repr_html_(self) -> str:
        """A small table of the updates (the largest ones for a node with many inputs)."""
        shown = self.largest(2 * FULL_LIMIT) if len(self.updates) > 2 * FULL_LIMIT \
            else list(self.updates)
        rows = "".join(
            f"<tr><td>{_cell(u.name)}</td><td>{_cell(u.formula)}</td>"
            f"<td>{format_number(u.local)}</td><td>{format_number(u.contribution)}</td>"
            f"<td>{format_number(u.grad_after)}</td></tr>"
            for u in shown
        )
        if len(shown) < len(self.updates):
            rows += (f"<tr><td colspan=\"5\">... {len(self.updates) - len(shown)} more inputs, "
                     "none with a larger |contribution|</td></tr>")
        return (
            f"{_TABLE_STYLE}<div class=\"autograd-step\"><p>step {self.index}: "
            f"<code>{_cell(self.name)} = {_cell(self.expression)}</code>, "
            f"<code>{_cell(self.name)}.grad = {format_number(self.upstream)}</code></p>"
            "<table class=\"autograd-table\"><thead><tr><th>parent</th><th>local derivative</th>"
            "<th>value</th><th>contribution</th><th>grad now</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    def __repr__(self) -> str:
        return f"<Step {self.index}: {self.name} = {self.expression}, grad {self.upstream:.4g}>"


def _grad_number(g: Any) -> float:
    return g.data if isinstance(g, Value) else g


def _prepare(root: Value, grad: Any) -> tuple[list[Value], float]:
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value, got {type(root).__name__}")
    seed = 1.0 if grad is None else to_float(grad, "the seed gradient")
    order = topological_order(root, leaves=False) if root._op is not None else []
    return order, seed


def _start(root: Value, order: list[Value], seed: float) -> None:
    """Reset the intermediate nodes and seed the root, as ``backward()`` does."""
    if not order:  # the root is a leaf: it only receives the seed
        root.grad = _grad_number(root.grad) + seed
        return
    for node in order:
        node.grad = 0.0
    root.grad = seed


def _run(order: list[Value], names: dict[Value, str],
         keep: set[Value] | None = None) -> Iterator[Step]:
    """Apply the steps in ``order``; yield a :class:`Step` for each node in ``keep`` (all).

    The steps of the other nodes are applied with the same arithmetic but not recorded.
    """
    anomaly = _mode.current().anomaly
    for index, node in enumerate(order):
        g = node.grad
        if keep is not None and node not in keep:
            for position, (parent, local) in enumerate(
                zip(node.parents, local_derivatives(node), strict=True)
            ):
                contribution = g * local
                if anomaly:
                    anomaly_backward(node, position, contribution)
                parent.grad += contribution
            continue
        updates = []
        for position, (parent, local, formula) in enumerate(
            zip(node.parents, local_derivatives(node), _formulas(node, names), strict=True)
        ):
            contribution = g * local
            if anomaly:
                anomaly_backward(node, position, contribution)
            parent.grad += contribution
            updates.append(
                ParentUpdate(parent, names[parent], position, formula, local, contribution,
                             parent.grad)
            )
        yield Step(index, node, names[node], expression(node, names), g, tuple(updates))


def backward_steps(
    root: Value, grad: Any = None, *, zero_grad: bool = False
) -> Iterator[Step]:
    """``backward()`` one node at a time: yields a :class:`Step` per node that has parents.

    Gradients are applied as the steps run (leaves accumulate, intermediate nodes start from
    0.0, ``root.grad`` is the seed, 1.0 unless ``grad`` is given); once the generator is
    exhausted every ``.grad`` is what ``root.backward(grad)`` would have set. Leaves have no
    step of their own: they only receive gradient. ``zero_grad=True`` sets every ``.grad``
    of the graph, leaves included, to 0 first (as :class:`Stepper` can).

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> print(next(backward_steps(y)))
    y = x * x: x.grad += x * y.grad = 3.0 * 1.0 = 3.0
               x.grad += x * y.grad = 3.0 * 1.0 = 3.0 (now 6.0)
    """
    order, seed = _prepare(root, grad)
    _check_flag(zero_grad)
    names = node_names(root)
    if zero_grad:
        _zero_all(root)
    _start(root, order, seed)
    yield from _run(order, names)


def _check_flag(zero_grad: Any) -> None:
    if not isinstance(zero_grad, bool):
        raise TypeError(f"zero_grad must be True or False, got {type(zero_grad).__name__}")


def _zero_all(root: Value) -> None:
    for node in topological_order(root):
        node.grad = 0.0


class Stepper:
    """Walk through ``backward()`` in the REPL: ``s = Stepper(loss); s.next(); s.rest()``.

    Creating a stepper starts the pass (intermediate gradients reset, the root seeded);
    ``next()`` applies one step and returns it (``None`` once done), ``rest()`` applies the
    remaining steps and returns them. ``current`` is the last step taken, ``done`` tells
    whether the pass is complete, ``steps`` lists the steps taken so far.

    Gradients accumulate exactly as with ``backward()`` (PyTorch's semantics): the leaves
    (the weights, the inputs) *add* to the ``.grad`` they already hold, so after an earlier
    ``o.backward()`` a ``Stepper(o)`` ends with twice the gradient in every leaf. Call
    ``zero_grad`` on them first (``model.zero_grad()``), or pass ``zero_grad=True``: every
    ``.grad`` in the graph, leaves included, is set to 0 before the first step. The page
    (``html()``, ``viz.backward_page``) always shows the pass from zero, and leaves every
    ``.grad`` as it was.

    >>> from autograd_core import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> d = c.relu(); d.label = "d"
    >>> s = Stepper(d); s
    <Stepper: 0 of 2 steps taken; next: d = relu(c)>
    >>> print(s.next())
    d = relu(c): c.grad += (c > 0) * d.grad = 0.0 * 1.0 = 0.0
    >>> len(s.rest()), s.done, a.grad
    (1, True, 0.0)

    ``mode="forward"`` walks through forward mode instead (see :func:`forward_steps`): one
    :class:`ForwardStep` per node, inputs first, for the inputs moving as ``tangents`` says;
    ``s.tangents`` holds the tangents found so far and ``.grad`` is not touched.

    >>> f = Stepper(d, mode="forward", tangents={a: 1.0}); f
    <Stepper (forward): 0 of 2 steps taken; next: c = a * b>
    >>> print(f.next())
    c = a * b: c.dot = b * a.dot + a * b.dot = -3.0 * 1.0 + 2.0 * 0.0 = -3.0   [1 multiply, 0 adds so far]
    """  # noqa: E501

    def __init__(self, root: Value, grad: Any = None, *, zero_grad: bool = False,
                 mode: str = "reverse", tangents: Any = None) -> None:
        if mode not in ("reverse", "forward"):
            raise ValueError(f"Stepper: mode must be 'reverse' or 'forward', got {mode!r:.40}")
        self.mode = mode
        if mode == "forward":
            if grad is not None or zero_grad:
                raise TypeError("Stepper(mode='forward') takes tangents=, not grad or zero_grad "
                                "(forward mode does not touch .grad)")
            order, seeds = _forward_setup(root, tangents, "Stepper(mode='forward')")
            self._seeds = seeds  # for the page (html())
            self.root = root
            self.seed = 1.0
            self.names = node_names(root)
            self.tangents: dict[Value, float] = {}
            self._order = [n for n in order if n._op is not None]
            self.total = len(self._order)
            self.steps: list[Any] = []
            self._iterator = _run_forward(order, seeds, self.names, self.tangents)
            return
        if tangents is not None:
            raise TypeError("Stepper: tangents= is for mode='forward'")
        order, seed = _prepare(root, grad)
        _check_flag(zero_grad)
        if zero_grad:
            _zero_all(root)
        self.root = root
        self.seed = seed
        self.names = node_names(root)
        self.total = len(order)
        self.steps = []
        self._order = order
        _start(root, order, seed)
        self._iterator = _run(order, self.names)

    @property
    def current(self) -> Any:
        """The step taken last (``None`` before the first)."""
        return self.steps[-1] if self.steps else None

    @property
    def done(self) -> bool:
        """True once every step has been applied."""
        return len(self.steps) >= self.total

    def next(self) -> Any:
        """Apply the next step and return it; ``None`` when the pass is already complete.

        A :class:`Step` in reverse mode, a :class:`ForwardStep` in forward mode.
        """
        step = next(self._iterator, None)
        if step is not None:
            self.steps.append(step)
        return step

    __next__ = next

    def rest(self) -> list[Any]:
        """Apply every remaining step and return them."""
        taken = list(self._iterator)
        self.steps.extend(taken)
        return taken

    def __iter__(self) -> Iterator[Any]:
        return self._iterator_wrapper()

    def _iterator_wrapper(self) -> Iterator[Any]:
        while (step := self.next()) is not None:
            yield step

    def html(self, *, max_nodes: int | None = 500, height: int = 600) -> str:
        """The stepping page of this pass as an ``<iframe>`` for a notebook (needs ``viz``).

        The page opens at the step taken last (the first step before any is taken) and draws
        at most ``max_nodes`` values (``None``: all). It is drawn on a copy of the gradients:
        showing it does not change the pass in progress. In forward mode the page steps
        through the tangents instead (``viz.page.forward_page``).
        """
        from viz.page import stepper_html  # the drawing side is optional, imported on use

        if self.mode == "forward":
            return stepper_html(self.root, start=max(1, len(self.steps)), max_nodes=max_nodes,
                                height=height, mode="forward", tangents=self._seeds)
        return stepper_html(self.root, self.seed, start=max(1, len(self.steps)),
                            max_nodes=max_nodes, height=height)

    def _repr_html_(self) -> str | None:
        try:
            return self.html()
        except ImportError:
            return None  # no viz extra: the notebook shows the text repr
        except RuntimeError as exc:  # no Graphviz renderer, or it failed: say so
            return (f"<pre>{_cell(repr(self))}</pre><p>The stepping page could not be drawn: "
                    f"{_cell(str(exc))}</p>")

    def __repr__(self) -> str:
        taken = len(self.steps)
        kind = " (forward)" if self.mode == "forward" else ""
        if self.done:
            return f"<Stepper{kind}: all {self.total} steps taken>"
        node = self._order[taken]
        return (
            f"<Stepper{kind}: {taken} of {self.total} steps taken; "
            f"next: {self.names[node]} = {expression(node, self.names)}>"
        )


# --------------------------------------------------------------------------- explain
@dataclass(frozen=True)
class Explanation:
    """Every node of a graph in topological order: name, op, data, grad, local derivatives.

    ``rows`` holds tuples ``(name, expression, data, grad, [(parent name, formula, value)])``;
    ``str()`` and the REPL show it as a table.
    """

    rows: tuple[tuple[str, str, float, float, tuple[tuple[str, str, float], ...]], ...]
    # Forward mode (explain(..., mode="forward" or "both")): each row's tangent, d node / d
    # the seeded direction, in the order of ``rows``; and whether the grad column is shown.
    tangents: tuple[float, ...] | None = None
    show_grad: bool = True

    def __str__(self) -> str:
        return self._text(full=False)

    def full_text(self) -> str:
        """The table with every local derivative of every node, however many inputs it has."""
        return self._text(full=True)

    def _columns(self) -> tuple[str, ...]:
        return ("grad",) * self.show_grad + ("tangent",) * (self.tangents is not None)

    def _numbers(self, i: int) -> list[str]:
        grad = self.rows[i][3]
        cells = [format_number(grad)] if self.show_grad else []
        if self.tangents is not None:
            cells.append(format_number(self.tangents[i]))
        return cells

    def _text(self, full: bool) -> str:
        header = ("node", "computed as", "data", *self._columns(), "local derivatives")
        fixed = len(header) - 1
        table = [header]
        for i, (name, expr, data, _, locals_) in enumerate(self.rows):
            derivs = _derivatives_text(locals_, full)
            table.append((name, expr, format_number(data), *self._numbers(i), derivs))
        widths = [max(len(row[i]) for row in table) for i in range(fixed)]
        lines = []
        for i, row in enumerate(table):
            cells = [row[j].ljust(widths[j]) if j < 2 else row[j].rjust(widths[j])
                     for j in range(fixed)]
            lines.append("  ".join([*cells, row[fixed]]).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in [*widths, len(header[fixed])]))
        return "\n".join(lines)

    __repr__ = __str__

    def __len__(self) -> int:
        return len(self.rows)

    def _repr_html_(self) -> str:
        """The table as HTML (the first ``HTML_ROWS`` nodes, large nodes summarised)."""
        body = []
        for i, (name, expr, data, _, locals_) in enumerate(self.rows[:HTML_ROWS]):
            numbers = "".join(f"<td>{cell}</td>" for cell in self._numbers(i))
            body.append(
                f"<tr><td>{_cell(name)}</td><td style=\"text-align: left\">{_cell(expr)}</td>"
                f"<td>{format_number(data)}</td>{numbers}"
                f"<td style=\"text-align: left\">{_cell(_derivatives_text(locals_, False))}"
                "</td></tr>"
            )
        span = 3 + len(self._columns())
        if len(self.rows) > HTML_ROWS:
            body.append(f"<tr><td colspan=\"{span}\">... {len(self.rows) - HTML_ROWS} more "
                        "nodes (print(explain(...)) lists all)</td></tr>")
        heads = "".join(f"<th>{c}</th>" for c in self._columns())
        return (
            f"{_TABLE_STYLE}<table class=\"autograd-table autograd-explain\"><thead><tr>"
            "<th>node</th><th style=\"text-align: left\">computed as</th><th>data</th>"
            f"{heads}"
            "<th style=\"text-align: left\">local derivatives</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )


def _derivative_text(parent: str, formula: str, value: float) -> str:
    if _is_number(formula, value):
        return f"d/d{parent} = {format_number(value)}"
    return f"d/d{parent} = {formula} = {format_number(value)}"


def _derivatives_text(locals_: Sequence[tuple[str, str, float]], full: bool) -> str:
    """A row's local derivatives; past ``FULL_LIMIT`` inputs the largest ``TOP`` and a count."""
    if full or len(locals_) <= FULL_LIMIT:
        return ", ".join(_derivative_text(*item) for item in locals_)
    picked = _largest([v for _, _, v in locals_], TOP)
    shown = ", ".join(_derivative_text(*locals_[i]) for i in picked)
    return f"{shown}, ... {len(locals_) - TOP} more inputs, none larger"


def _is_number(formula: str, value: float) -> bool:
    """True when a formula is just the number it evaluates to (``"1"`` for 1.0)."""
    try:
        return float(formula) == value
    except ValueError:
        return False


def explain(root: Value, mode: str = "reverse", *, tangents: Any = None) -> Explanation:
    """A table of every node ``root`` depends on, root first: the numbers behind ``backward()``.

    Gradients are read as they are (run ``backward()`` first to see them filled in).

    ``mode="forward"`` shows each node's tangent (d node / d the inputs moving as
    ``tangents`` says, as :func:`forward_steps` computes it) in place of the gradient;
    ``mode="both"`` shows it beside the gradient d root / d node, computed afresh for this
    table (``.grad`` is neither read nor written). With ``tangents={x: 1.0}`` the root's
    tangent and ``x``'s gradient are the same number, d root / d x, found from both ends.

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x"); y = (x * x).log(); y.label = "y"
    >>> y.backward()
    >>> explain(y)
    node  computed as   data    grad  local derivatives
    ----  -----------  -----  ------  -----------------
    y     log(t1)      2.197     1.0  d/dt1 = 1/t1 = 0.1111
    t1    x * x          9.0  0.1111  d/dx = x = 3.0, d/dx = x = 3.0
    x     leaf           3.0  0.6667
    """
    if mode not in ("reverse", "forward", "both"):
        raise ValueError(f"explain: mode must be 'reverse', 'forward' or 'both', got {mode!r:.40}")
    if mode == "reverse" and tangents is not None:
        raise TypeError("explain: tangents= is for mode='forward' or mode='both'")
    if not isinstance(root, Value):
        raise TypeError(f"explain() needs a Value, got {type(root).__name__}")
    names = node_names(root)
    order = topological_order(root)
    dots: tuple[float, ...] | None = None
    grads: list[Any] = [node.grad for node in order]
    if mode != "reverse":
        from .forward import forward_tangents
        from .graph import gradients

        _forward_setup(root, tangents, f"explain(mode={mode!r})")
        found = forward_tangents(root, tangents)
        dots = tuple(float(found[node]) for node in order)
        if mode == "both":
            grads = gradients(root, order)
    rows = []
    for node, g in zip(order, grads, strict=True):
        locals_ = tuple(
            (names[p], f, float(v))
            for p, f, v in zip(node.parents, _formulas(node, names), local_derivatives(node),
                               strict=True)
        )
        rows.append((names[node], expression(node, names), node.data, _grad_number(g), locals_))
    return Explanation(tuple(rows), dots, mode != "forward")


# --------------------------------------------------------------------------- forward mode
@dataclass(frozen=True)
class TangentTerm:
    """One input's share of a forward step: ``local * parent.dot``."""

    parent: Value
    name: str
    index: int  # position among the node's parents
    formula: str  # the local derivative as text, in the nodes' names
    local: float  # d node / d parent
    tangent: float  # the parent's tangent, parent.dot
    contribution: float | None  # local * tangent; None: the parent does not move (zero, free)


@dataclass(frozen=True)
class ForwardStep:
    """One node of forward mode: its tangent from its inputs' tangents (the chain rule).

    ``multiplies`` and ``adds`` count the arithmetic forward mode has done so far, this step
    included (a term whose input does not depend on the seeded inputs is zero and costs
    nothing), to compare with reverse mode's one multiply and one add per edge.
    """

    index: int  # 0 for the first step
    node: Value
    name: str
    expression: str
    seed: float | None  # the tangent given to this node itself, if any
    terms: tuple[TangentTerm, ...]
    tangent: float  # node.dot, d node / d (the seeded direction)
    multiplies: int
    adds: int

    @property
    def summarised(self) -> bool:
        """True when ``str(step)`` shows only the largest terms (many inputs)."""
        return len(self.terms) > FULL_LIMIT

    def largest(self, count: int = TOP) -> list[TangentTerm]:
        """The ``count`` terms with the largest |contribution|, largest first."""
        sizes = [0.0 if t.contribution is None else t.contribution for t in self.terms]
        return [self.terms[i] for i in _largest(sizes, count)]

    @property
    def counts(self) -> str:
        """The operations so far, as text: ``[2 multiplies, 1 add so far]``."""
        return (f"[{self.multiplies} multipl{'y' if self.multiplies == 1 else 'ies'}, "
                f"{self.adds} add{'' if self.adds == 1 else 's'} so far]")

    @property
    def untouched(self) -> bool:
        """True when no input of the node depends on the seeded inputs (its tangent is 0)."""
        return all(t.contribution is None for t in self.terms) and self.seed is None

    def chain(self, full: bool = False, more: str = "") -> tuple[list[str], list[str]]:
        """The chain rule's terms as (symbols, numbers): ``w * x.dot`` and ``-3 * 1``, the
        seed first if any; only the largest unless ``full``, then a line saying how many
        more (followed by ``more``)."""
        shown = list(self.terms) if full or not self.summarised else self.largest(TOP)
        symbols = [f"{t.formula} * {t.name}.dot" for t in shown]
        numbers = [f"{format_number(t.local)} * {format_number(t.tangent)}" for t in shown]
        if self.seed is not None:
            symbols.insert(0, "seed")
            numbers.insert(0, format_number(self.seed))
        if len(shown) < len(self.terms):
            symbols.append(f"... {len(self.terms) - len(shown)} more terms, none larger{more}")
            numbers.append("...")
        return symbols, numbers

    def _text(self, full: bool) -> str:
        head = f"{self.name} = {self.expression}: {self.name}.dot = "
        if self.untouched:
            return f"{head}0.0 (no input depends on the seeded inputs)   {self.counts}"
        symbols, numbers = self.chain(full)
        text = f"{head}{' + '.join(symbols)} = {' + '.join(numbers)} = "
        return text + format_number(self.tangent) + "   " + self.counts

    def full_text(self) -> str:
        """The step with every term, however many inputs the node has."""
        return self._text(full=True)

    def __str__(self) -> str:
        return self._text(full=False)

    def __repr__(self) -> str:
        return (f"<ForwardStep {self.index}: {self.name} = {self.expression}, "
                f"tangent {self.tangent:.4g}>")


def _forward_setup(root: Value, tangents: Any, what: str) -> tuple[list[Value], dict[Value, float]]:
    from .forward import check_seeds, forward_order

    if not isinstance(root, Value):
        raise TypeError(f"{what} needs a Value, got {type(root).__name__}")
    order = forward_order(root)
    if tangents is None:
        leaves = [n for n in order if n._op is None]
        names = node_names(root)
        shown = ", ".join(names[n] for n in leaves[:8]) + (", ..." if len(leaves) > 8 else "")
        raise TypeError(
            f"{what}: forward mode needs tangents saying which inputs move, as "
            f"tangents={{x: 1.0}} for d/dx; the inputs of this graph are: {shown}"
        )
    return order, check_seeds(tangents, what)


def _run_forward(order: list[Value], seeds: dict[Value, float], names: dict[Value, str],
                 found: dict[Value, float]) -> Iterator[ForwardStep]:
    """Forward mode one node at a time, filling ``found`` exactly as forward_tangents does."""
    from .forward import combine, tangent_terms

    multiplies = adds = 0
    index = 0
    for node in order:
        seed = seeds.get(node)
        if node._op is None:
            if seed is not None:
                found[node] = seed
            continue
        locals_, contributions = tangent_terms(node, found)
        total = combine(seed, contributions)
        done = sum(c is not None for c in contributions)
        multiplies += done
        adds += max(0, done + (seed is not None) - 1)
        if total is not None:
            found[node] = total
        terms = tuple(
            TangentTerm(p, names[p], i, formula, float(d), found.get(p, 0.0), c)
            for i, (p, d, formula, c) in enumerate(
                zip(node.parents, locals_, _formulas(node, names), contributions, strict=True)
            )
        )
        yield ForwardStep(index, node, names[node], expression(node, names), seed, terms,
                          0.0 if total is None else total, multiplies, adds)
        index += 1


def forward_steps(root: Value, tangents: Any = None) -> Iterator[ForwardStep]:
    """Forward mode one node at a time: a :class:`ForwardStep` per node that has parents.

    Steps run in topological order from the inputs; each gives the node's tangent
    (``t.dot``, its derivative along ``tangents``) from its inputs' tangents, printed as the
    chain rule with numbers and the count of multiplies and adds so far. The tangents are the
    ones :func:`autograd_core.forward_tangents` computes, with the same arithmetic. ``.grad``
    is not touched.

    >>> from autograd_core import Value
    >>> x = Value(3.0, label="x"); w = Value(-2.0, label="w")
    >>> t = x * w; y = t.tanh(); y.label = "y"
    >>> for step in forward_steps(y, {x: 1.0}):
    ...     print(step)
    t1 = x * w: t1.dot = w * x.dot + x * w.dot = -2.0 * 1.0 + 3.0 * 0.0 = -2.0   [1 multiply, 0 adds so far]
    y = tanh(t1): y.dot = (1 - y**2) * t1.dot = 2.458e-05 * -2.0 = -4.915e-05   [2 multiplies, 0 adds so far]
    """  # noqa: E501
    order, seeds = _forward_setup(root, tangents, "forward_steps")
    return _run_forward(order, seeds, node_names(root), {})


# --------------------------------------------------------------------------- paths
PATH_LIMIT = 1000  # gradient_paths lists at most this many paths unless given a larger limit


@dataclass(frozen=True)
class GradientPath:
    """One path from the input to the root: the nodes on it and each edge's local derivative.

    ``edges[k]`` is ``(position, formula, local)`` for the step from ``nodes[k]`` to
    ``nodes[k + 1]``: the input position it enters at, the local derivative as text and as a
    number. ``product`` multiplies the local derivatives along the path, input first.
    """

    nodes: tuple[Value, ...]
    names: tuple[str, ...]
    edges: tuple[tuple[int, str, float], ...]
    repeated: tuple[bool, ...]  # per edge: the node takes this input more than once
    product: float

    def __str__(self) -> str:
        if not self.edges:
            return f"{self.names[0]} (the root itself): 1.0"
        parts = [self.names[0]]
        for k, (position, formula, local) in enumerate(self.edges):
            text = format_number(local) if _is_number(formula, local) else (
                f"{formula} = {format_number(local)}")
            if self.repeated[k]:
                text += f", input #{position + 1}"
            parts.append(f" -[{text}]-> {self.names[k + 1]}")
        factors = " * ".join(format_number(local) for _, _, local in self.edges)
        return "".join(parts) + f":  {factors} = {format_number(self.product)}"


@dataclass(frozen=True)
class GradientPaths:
    """Every path from ``source`` to ``root`` with its product of local derivatives.

    ``paths`` are largest |product| first; ``total`` is their sum and ``gradient`` what
    reverse mode gives for d root / d source: ``agrees`` tells whether they match (up to
    rounding). ``str()`` lists them, one per line.
    """

    root_name: str
    source_name: str
    paths: tuple[GradientPath, ...]
    total: float
    gradient: float

    @property
    def agrees(self) -> bool:
        """True when the paths add up to the reverse-mode gradient (relative 1e-9)."""
        scale = math.fsum(abs(p.product) for p in self.paths)
        return math.isclose(self.total, self.gradient, rel_tol=1e-9,
                            abs_tol=1e-12 * (1.0 + scale))

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[GradientPath]:
        return iter(self.paths)

    def __str__(self) -> str:
        r, x = self.root_name, self.source_name
        if not self.paths:
            return f"d{r}/d{x} = 0.0: no path leads from {x} to {r}"
        count = len(self.paths)
        plural = "path" if count == 1 else f"{count} paths"
        lines = [f"d{r}/d{x} = {format_number(self.gradient)} = the sum over the {plural} from "
                 f"{x} to {r} of the local derivatives multiplied along each:"]
        lines += [f"  {p}" for p in self.paths]
        check = "agrees with" if self.agrees else "DIFFERS from"
        lines.append(f"  sum: {format_number(self.total)} ({check} reverse mode's "
                     f"{format_number(self.gradient)})")
        return "\n".join(lines)

    __repr__ = __str__


def _path_counts(root: Value, source: Value) -> dict[Value, int]:
    """Per node, how many paths lead from ``source`` to it (exact ints; absent: none)."""
    order = topological_order(root)[::-1]
    counts: dict[Value, int] = {}
    for node in order:
        if node is source:
            counts[node] = 1
            continue
        n = 0
        for p in node.parents:
            n += counts.get(p, 0)
        if n:
            counts[node] = n
    return counts


def count_paths(root: Value, source: Value) -> int:
    """How many paths lead from ``source`` to ``root`` (an edge per input position, so
    ``a + a`` counts twice), by dynamic programming: never enumerates them.

    >>> from autograd_core import Value
    >>> a = Value(1.0); b = a + a; c = b * b
    >>> count_paths(c, a)
    4
    """
    _check_path_args(root, source, "count_paths")
    return _path_counts(root, source).get(root, 0)


def _check_path_args(root: Any, source: Any, what: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{what} needs the root as a Value, got {type(root).__name__}")
    if not isinstance(source, Value):
        raise TypeError(f"{what} needs the input as a Value, got {type(source).__name__}")


def gradient_paths(root: Value, source: Value, *, limit: int = PATH_LIMIT) -> GradientPaths:
    """Where a gradient comes from: every path from ``source`` to ``root``, with the product of
    the local derivatives along it, largest first; they add up to d root / d source.

    A node used twice (``b = a + a``) is two edges, so two paths: that is why ``a.grad``
    *accumulates* (``+=``) in ``backward``. The number of paths can grow exponentially with
    depth, so it is counted first (:func:`count_paths`) and more than ``limit`` (default
    ``PATH_LIMIT``, 1000) is refused with a ValueError; the gradient itself is never that
    costly (reverse mode visits each edge once). ``.grad`` is not touched.

    >>> from autograd_core import Value
    >>> a = Value(3.0, label="a")
    >>> b = a + a; b.label = "b"
    >>> c = b * b; c.label = "c"
    >>> print(gradient_paths(c, a))
    dc/da = 24.0 = the sum over the 4 paths from a to c of the local derivatives multiplied along each:
      a -[1.0, input #1]-> b -[b = 6.0, input #1]-> c:  1.0 * 6.0 = 6.0
      a -[1.0, input #2]-> b -[b = 6.0, input #1]-> c:  1.0 * 6.0 = 6.0
      a -[1.0, input #1]-> b -[b = 6.0, input #2]-> c:  1.0 * 6.0 = 6.0
      a -[1.0, input #2]-> b -[b = 6.0, input #2]-> c:  1.0 * 6.0 = 6.0
      sum: 24.0 (agrees with reverse mode's 24.0)
    """  # noqa: E501
    from .graph import gradients

    _check_path_args(root, source, "gradient_paths")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"gradient_paths: limit must be a positive int, got {limit!r:.40}")
    counts = _path_counts(root, source)
    total_paths = counts.get(root, 0)
    names = node_names(root)
    source_name = names.get(source) or label_text(source.label) or "the input"
    if total_paths > limit:
        shown = f"{total_paths:.3e}" if total_paths >= 10**12 else str(total_paths)
        raise ValueError(
            f"gradient_paths: {shown} paths lead from {source_name} to "
            f"{names[root]}, more than limit={limit}; they are counted, not listed. Pass a "
            "larger limit=, or look at a smaller part of the graph (the paths to a node "
            "nearer the input). The gradient itself needs no such list: gradients(root, [x])"
        )
    gradient = float(gradients(root, [source])[0]) if total_paths else 0.0
    locals_cache: dict[Value, tuple[tuple[Any, ...], list[str]]] = {}

    def local(node: Value) -> tuple[tuple[Any, ...], list[str]]:
        found = locals_cache.get(node)
        if found is None:
            found = (local_derivatives(node), _formulas(node, names))
            locals_cache[node] = found
        return found

    # Walk back from the root along edges whose parent is reached from the source; the path
    # so far is a linked list (node, position, rest) so that no list is copied per step.
    paths: list[GradientPath] = []
    stack: list[tuple[Value, Any]] = [(root, None)] if total_paths else []
    while stack:
        node, link = stack.pop()
        if node is source:
            nodes = [node]
            edges = []
            repeated = []
            while link is not None:
                child, position, link = link
                derivs, formulas = local(child)
                nodes.append(child)
                edges.append((position, formulas[position], float(derivs[position])))
                parents = child.parents
                repeated.append(parents.count(parents[position]) > 1)
            product = 1.0
            for _, _, d in edges:
                product *= d
            paths.append(GradientPath(tuple(nodes), tuple(names[n] for n in nodes),
                                      tuple(edges), tuple(repeated), product))
            continue
        parents = node.parents
        for position in range(len(parents) - 1, -1, -1):  # popped in argument order
            if parents[position] in counts:
                stack.append((parents[position], (node, position, link)))
    ranked = sorted(range(len(paths)), key=lambda i: (-_size_key(paths[i].product), i))
    listed = tuple(paths[i] for i in ranked)
    return GradientPaths(names[root], source_name, listed,
                         math.fsum(p.product for p in listed), gradient)
