"""The computation graph as indented text for a terminal: ``viz.tree(root)``.

Standard library only. A node reached a second time is printed once and referred to
afterwards (``(see above)``), so shared subgraphs do not blow up the output. Nothing recurses,
so deep graphs print at Python's default recursion limit.
"""

from __future__ import annotations

import math
from typing import Any

from autograd_core import Value
from autograd_core.steps import expression, node_names

__all__ = ["format_field", "tree"]


def format_field(x: Any) -> str:
    """A number as shown in drawings: 4 decimals, scientific when large or tiny.

    >>> format_field(2.0), format_field(-1.5e-7), format_field(float("inf"))
    ('2.0000', '-1.5000e-07', 'inf')
    """
    if isinstance(x, Value):
        x = x.data
    x = float(x)
    if x != 0 and math.isfinite(x) and not 1e-4 <= abs(x) < 1e6:
        return f"{x:.4e}"
    return f"{x:.4f}"


def tree(root: Value, *, show_grad: bool = True) -> str:
    """``root`` and everything it was computed from, as an indented tree with data and grad.

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
    names = node_names(root)
    lines: list[str] = []
    shown: set[Value] = set()
    # (node, prefix for this line, prefix for its children)
    stack: list[tuple[Value, str, str]] = [(root, "", "")]
    while stack:
        node, prefix, child_prefix = stack.pop()
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
            last = i == len(parents) - 1
            stack.append((
                parents[i],
                child_prefix + ("└── " if last else "├── "),
                child_prefix + ("    " if last else "│   "),
            ))
    return "\n".join(lines)
