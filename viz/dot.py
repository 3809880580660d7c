"""Computation graphs as DOT: one record node per value, one small node per op.

:func:`draw_dot` returns a :class:`DotGraph`, a ``graphviz.Digraph`` that renders itself to SVG
through :mod:`viz.render` (system ``dot`` or the WebAssembly Graphviz), so it displays inline
in Jupyter on a machine with no system Graphviz. The DOT text depends only on the graph's
structure, labels and numbers: drawing the same graph twice gives the same text.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import graphviz

from autograd_core import Value
from autograd_core.steps import expression, node_names

from .text import format_field

__all__ = ["DEFAULT_MAX_NODES", "DotGraph", "draw_dot", "escape", "grad_fill"]

DEFAULT_MAX_NODES = 300
FONT = "Courier"  # Graphviz knows Courier's widths, so text fits its box with any renderer
RANKDIRS = ("LR", "RL", "TB", "BT")

# Fill by gradient: red for negative, blue for positive, darker for larger |grad| (relative
# to the largest |grad| in the graph); white for zero, grey for NaN.
NEGATIVE = ("#fddbc7", "#f4a582", "#d6604d", "#b2182b")
POSITIVE = ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac")
ZERO = "#ffffff"
NAN = "#bbbbbb"

_ENTITIES = {
    "&": "&amp;",
    '"': "&quot;",
    "<": "&lt;",
    ">": "&gt;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
    # Graphviz turns "\\" into "\" after reading entities; a bare "\" would start an escape.
    "\\": "&#92;&#92;",
}


def escape(text: str) -> str:
    """Text made safe for a Graphviz label (plain or record field), shown exactly as given.

    Every character with a meaning in DOT or in record labels becomes an HTML entity, which
    Graphviz reads after splitting record fields; newlines and tabs become spaces.

    >>> escape('a{b}|<c> "d" \\\\ é')
    'a&#123;b&#125;&#124;&lt;c&gt; &quot;d&quot; &#92;&#92; é'
    """
    out = []
    for ch in text:
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _number(x: Any) -> float:
    if isinstance(x, Value):
        x = x.data
    return float(x)


def grad_fill(grad: float, scale: float) -> tuple[str, str]:
    """``(fill colour, font colour)`` for a gradient, ``scale`` being the largest |grad|.

    >>> grad_fill(0.0, 1.0), grad_fill(1.0, 1.0)
    (('#ffffff', 'black'), ('#2166ac', 'white'))
    """
    if math.isnan(grad):
        return NAN, "black"
    if grad == 0:
        return ZERO, "black"
    share = 1.0 if not math.isfinite(grad) or scale <= 0 else min(abs(grad) / scale, 1.0)
    level = min(int(share * 4 - 1e-12), 3) if share > 0 else 0
    palette = POSITIVE if grad > 0 else NEGATIVE
    return palette[level], "white" if level == 3 else "black"


def grad_scale(grads: list[float]) -> float:
    """The largest finite |grad| (1.0 when there is none), the darkest shade of the fill."""
    finite = [abs(g) for g in grads if math.isfinite(g)]
    top = max(finite, default=0.0)
    return top if top > 0 else 1.0


def _add_legend(dot: graphviz.Digraph, scale: float) -> None:
    # Plain filled boxes in a cluster, not an HTML-like table: the WebAssembly Graphviz is
    # built without HTML labels and would draw only the node's name.
    colors = [*reversed(NEGATIVE), ZERO, *POSITIVE]
    texts = ["-", "", "", "", "0", "", "", "", "+"]
    names = [f"legend{i}" for i in range(len(colors))]
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label=escape(f"fill: grad (darkest at |grad| = {scale:.4g})"),
                    id="legend", fontsize="10", style="dashed")
        for i, (name, color, text) in enumerate(zip(names, colors, texts, strict=True)):
            legend.node(
                name, label=text or " ", shape="box", style="filled", fillcolor=color,
                fontcolor="white" if i in (0, len(colors) - 1) else "black",
                width="0.25", height="0.25", fixedsize="true", id=name,
            )
        for a, b in pairwise(names):  # invisible edges keep them in a row, in this order
            legend.edge(a, b, style="invis")


class DotGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders to SVG without a system Graphviz.

    ``to_svg()`` and ``save_svg(path)`` use :func:`viz.render.render_svg`; in Jupyter the
    graph shows inline as SVG through the same renderer.
    """

    def to_svg(self) -> str:
        """The graph as SVG text."""
        from .render import render_svg

        return render_svg(self.source)

    def save_svg(self, path: Any) -> Any:
        """Write the graph as SVG to ``path`` (atomically); returns the path written."""
        from .render import write_svg

        return write_svg(self.source, path)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict:
        wanted = {"image/svg+xml"}
        if include is not None:
            wanted &= set(include)
        if exclude is not None:
            wanted -= set(exclude)
        return {"image/svg+xml": self.to_svg()} if wanted else {}


def nearest(root: Value, limit: int | None) -> tuple[list[Value], int]:
    """The ``limit`` nodes nearest ``root`` (breadth first) and how many nodes exist in all."""
    seen = {root}
    kept = [root]
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                kept.append(parent)
                queue.append(parent)
    total = len(kept)
    if limit is not None and total > limit:
        kept = kept[:limit]
    return kept, total


def _check_args(root: Any, rankdir: Any, max_nodes: Any) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() draws a Value, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(
            f"max_nodes must be a positive int or None (draw every node), got {max_nodes!r}"
        )


def build(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    grad_text: Callable[[Value], str] | None = None,
) -> tuple[DotGraph, dict[Value, str]]:
    """The graph and the DOT id of each value drawn (``v0``, ``v1``..., op nodes ``v3_op``).

    ``grad_text(node)`` overrides the text of the grad field (the stepping page uses it to
    reserve room for every value the field will show).
    """
    _check_args(root, rankdir, max_nodes)
    names = node_names(root)
    kept, total = nearest(root, max_nodes)
    kept_set = set(kept)
    # Forward order (inputs first) fixes the DOT text; topological order is deterministic.
    forward = [node for node in names if node in kept_set]  # node_names: inputs first
    ids = {node: f"v{i}" for i, node in enumerate(forward)}

    grads = {node: _number(node.grad) for node in forward}
    scale = grad_scale(list(grads.values()))
    dot = DotGraph("autograd", format="svg")
    dot.attr("graph", rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.35")
    dot.attr("node", fontname=FONT, fontsize="12", height="0.3")
    dot.attr("edge", arrowsize="0.6")
    elided = total - len(kept)
    for node in forward:
        node_id = ids[node]
        fields = [escape(names[node]), f"data {format_field(node.data)}"]
        attrs = {"shape": "record", "id": node_id}
        if show_grad:
            text = grad_text(node) if grad_text is not None else format_field(grads[node])
            fields.append(f"grad {escape(text)}")
            fill, font = grad_fill(grads[node], scale)
            attrs.update(style="filled", fillcolor=fill, fontcolor=font)
        dot.node(node_id, label="{ " + " | ".join(fields) + " }", **attrs)
        if node._op is not None:
            op_id = f"{node_id}_op"
            dot.node(op_id, label=escape(node._op.name), shape="ellipse", id=op_id,
                     margin="0.04,0.02", width="0.3", tooltip=escape(expression(node, names)))
            dot.edge(op_id, node_id, id=f"{op_id}_out")
    for node in forward:
        if node._op is None:
            continue
        op_id = f"{ids[node]}_op"
        for position, parent in enumerate(node.parents):
            source = ids.get(parent, "elided")
            dot.edge(source, op_id, id=f"{op_id}_in{position}")
    if elided:
        dot.node(
            "elided",
            label=escape(
                f"... {elided} more values not drawn (max_nodes={max_nodes}; "
                "pass max_nodes=None to draw all)"
            ),
            shape="note", id="elided",
        )
    if show_grad:
        _add_legend(dot, scale)
    return dot, ids


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> DotGraph:
    """The computation graph behind ``root`` as a ``graphviz.Digraph`` (a :class:`DotGraph`).

    Each value is a record (name, data, grad) filled by its gradient's sign and size, with a
    legend; each op is a small node. Values are named by their labels, others ``t1``, ``t2``...
    A graph of more than ``max_nodes`` values is collapsed to the ``max_nodes`` values nearest
    ``root`` and a note counting the rest; ``max_nodes=None`` draws everything.

    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x"); y = x.tanh(); y.label = "y"
    >>> dot = draw_dot(y)
    >>> print(dot.source.splitlines()[4].strip())
    v0 [label="{ x | data 2.0000 | grad 0.0000 }" fillcolor="#ffffff" fontcolor=black id=v0 shape=record style=filled]
    """  # noqa: E501
    dot, _ = build(root, rankdir=rankdir, show_grad=show_grad, max_nodes=max_nodes)
    return dot
