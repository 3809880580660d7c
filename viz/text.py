"""The computation graph as indented text for a terminal: ``viz.tree(root)``.

Standard library only. A node reached a second time is printed once and referred to
afterwards (``(see above)``), so shared subgraphs do not blow up the output. Nothing recurses,
so deep graphs print at Python's default recursion limit, and the work is linear in the text
printed: at most ``max_nodes`` lines (a last line says how many nodes were left out), and
indentation stops growing after :data:`MAX_INDENT` levels (deeper lines say their depth).
Control characters in labels are shown escaped (``\\x1b``), never sent to the terminal.
"""

from __future__ import annotations

import html
import math
import sys
from typing import Any

from autograd_core import Value
from autograd_core.steps import expression, node_names, number_or_repr

__all__ = [
    "DEFAULT_TREE_LINES",
    "MAX_INDENT",
    "TextTree",
    "format_field",
    "tree",
    "visible",
]

DEFAULT_TREE_LINES = 2000
MAX_INDENT = 40  # levels of tree guides drawn; deeper lines show their depth instead

# Characters that move the cursor, change the terminal's state or reorder text.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def format_field(x: Any) -> str:
    """A number as shown in drawings: 4 decimals, scientific when large or tiny.

    >>> format_field(2.0), format_field(-1.5e-7), format_field(float("inf"))
    ('2.0000', '-1.5000e-07', 'inf')
    """
    x = number_or_repr(x)
    if isinstance(x, str):  # a field set by hand to a non-number (v.grad = "oops"): show it
        return visible(x)
    if x != 0 and math.isfinite(x) and not 1e-4 <= abs(x) < 1e6:
        return f"{x:.4e}"
    return f"{x:.4f}"


def visible(text: str) -> str:
    """``text`` with control characters, lone surrogates and bidi controls shown escaped.

    >>> visible("a\\x1b[31mb\\x07"), visible("a\\ud800b"), visible("é ü")
    ('a\\\\x1b[31mb\\\\x07', 'a\\\\ud800b', 'é ü')
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000
                or code in (0x2028, 0x2029) or ch in _BIDI):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


class TextTree(str):
    """The text of :func:`tree`: a ``str`` whose display (REPL, Jupyter) is the tree itself.

    ``print(t)``, ``t.splitlines()`` and comparisons behave as for the plain text; a bare
    ``t`` in a REPL or notebook shows the tree instead of a quoted string full of ``\\n``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def _check_max(max_nodes: Any) -> None:
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(
            f"max_nodes must be a positive int or None (print every node), got {max_nodes!r}"
        )


def _prefix(cell: Any, depth: int) -> str:
    """The guides in front of a line: ``cell`` is ``(is_last, parent_cell)`` for each level."""
    parts = []
    level = depth
    while cell is not None and len(parts) < MAX_INDENT:
        last, cell = cell
        if level == depth:
            parts.append("└── " if last else "├── ")
        else:
            parts.append("    " if last else "│   ")
        level -= 1
    parts.reverse()
    text = "".join(parts)
    return f"[depth {depth}] {text}" if depth > MAX_INDENT else text


def tree(
    root: Value, *, show_grad: bool = True, max_nodes: int | None = DEFAULT_TREE_LINES
) -> TextTree:
    """``root`` and everything it was computed from, as an indented tree with data and grad.

    At most ``max_nodes`` lines are printed (``None`` prints all); a last line counts what was
    left out. The result is a :class:`TextTree`, a ``str`` that displays as the tree.

    >>> from autograd_core import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"; d = (c + a).tanh(); d.label = "d"
    >>> print(tree(d, show_grad=False))
    d = tanh(t1)  data=-0.9993
    └── t1 = c + a  data=-4.0000
        ├── c = a * b  data=-6.0000
        │   ├── a  data=2.0000
        │   └── b  data=-3.0000
        └── a  (see above)
    """
    if not isinstance(root, Value):
        raise TypeError(f"tree() draws a Value, got {type(root).__name__}")
    _check_max(max_nodes)
    names = {node: visible(name) for node, name in node_names(root).items()}
    lines: list[str] = []
    shown: set[Value] = set()
    limit = sys.maxsize if max_nodes is None else max_nodes
    # (node, depth, cell): cell = (is_last, parent's cell) links the guides of every level,
    # shared between siblings, so each stack entry is O(1) however deep it sits.
    stack: list[tuple[Value, int, Any]] = [(root, 0, None)]
    while stack and len(lines) < limit:
        node, depth, cell = stack.pop()
        prefix = _prefix(cell, depth) if depth else ""
        name = names[node]
        if node in shown:
            lines.append(f"{prefix}{name}  (see above)")
            continue
        shown.add(node)
        head = name if node._op is None else f"{name} = {expression(node, names)}"
        text = f"{prefix}{head}  data={format_field(node.data)}"
        if show_grad:
            text += f"  grad={format_field(node.grad)}"
        lines.append(text)
        parents = node.parents
        for i in reversed(range(len(parents))):
            stack.append((parents[i], depth + 1, (i == len(parents) - 1, cell)))
    if stack:
        missing = len(names) - len(shown)
        left = (f"{missing} of {len(names)} nodes not printed" if missing
                else "only references to nodes printed above left out")
        lines.append(
            f"... cut at {limit} lines: {left} (max_nodes={max_nodes}; "
            "pass max_nodes=None to print all)"
        )
    return TextTree("\n".join(lines))
