"""Computation graphs as DOT: one record node per value, one small node per op.

:func:`draw_dot` returns a :class:`DotGraph`, a ``graphviz.Digraph`` that renders itself to SVG
through :mod:`viz.render` (system ``dot`` or the WebAssembly Graphviz), so it displays inline
in Jupyter on a machine with no system Graphviz. The DOT text depends only on the graph's
structure, labels and numbers: drawing the same graph twice gives the same text.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import graphviz

from autograd_core import Value
from autograd_core.steps import expression, label_text, node_names, number_or_repr

from .text import format_field

__all__ = [
    "COLLAPSE",
    "DEFAULT_MAX_NODES",
    "DotGraph",
    "build",
    "draw_dot",
    "escape",
    "fit_width",
    "grad_fill",
    "group_path",
]

DEFAULT_MAX_NODES = 300
FONT = "Courier"  # Graphviz knows Courier's widths, so text fits its box with any renderer
RANKDIRS = ("LR", "RL", "TB", "BT")
COLLAPSE = ("neuron", "layer")  # the levels collapse= takes, finest first
MAX_GROUP_DEPTH = 6  # levels of nested clusters a dotted label makes, at most
LIGHT = "#00000033"  # edges into a layer, many side by side: thin and see-through
PARAM_EDGE = "#00000080"  # a neuron's parameter to its op: lighter than the main flow
GRID_ROWS = 6  # a neuron's parameters fill at most this many rows (then more columns)
LEGEND_WIDTH_PT = 216  # the legend bar: nine stripes of 24 pt, whatever the graph

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
    Graphviz reads after splitting record fields; newlines and tabs become spaces, and a lone
    surrogate (not encodable as UTF-8) becomes U+FFFD.

    >>> escape('a{b}|<c> "d" \\\\ é')
    'a&#123;b&#125;&#124;&lt;c&gt; &quot;d&quot; &#92;&#92; é'
    """
    out = []
    for ch in text:
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(" ")
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def _number(x: Any) -> float:
    """A value's number for colours and scales; NaN (grey) for a field set to a non-number."""
    x = number_or_repr(x)
    return math.nan if isinstance(x, str) else x


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
    # One node of fixed size drawn as nine equal stripes (style=striped, which every Graphviz
    # since 2.30 draws, the WebAssembly one included; it has no HTML-like labels). Its size
    # depends on nothing in the graph. "-", "0" and "+" sit over the first, middle and last
    # stripe: Courier 10 is 6 pt a character, each stripe is 24 pt, the label 33 characters.
    colors = [*reversed(NEGATIVE), ZERO, *POSITIVE]
    share = f"{1 / len(colors):.4f}"
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label=escape(f"fill: grad (darkest at |grad| = {scale:.4g})"),
                    id="legend", fontsize="10", style="dashed", margin="6")
        legend.node(
            "legend_bar", label="-" + " " * 15 + "0" + " " * 15 + "+",
            shape="box", style="striped", fillcolor=":".join(f"{c};{share}" for c in colors),
            width=f"{LEGEND_WIDTH_PT / 72:.4f}", height="0.25", fixedsize="true",
            fontsize="10", id="legend_bar", penwidth="0.5",
        )


_SIZE = re.compile(r"\d+(\.\d*)?(,\d+(\.\d*)?)?!?")


class DotGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders to SVG without a system Graphviz.

    ``to_svg()`` and ``save_svg(path)`` use :func:`viz.render.render_svg`; in Jupyter the
    graph shows inline as SVG through the same renderer, scaled to the cell's width (see
    :func:`fit_width`) unless it was drawn with a fixed ``size``.

    ``collapsed_into`` maps each value drawn inside a collapsed group node to that node's id
    (``c0``, ``c1``...); ``collapse`` is the level drawn (``None``, ``"neuron"``, ``"layer"``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_size = False
        self.collapse: str | None = None
        self.collapsed_into: dict[Value, str] = {}

    def to_svg(self, timeout: float | None = None) -> str:
        """The graph as SVG text, at the size Graphviz gives it.

        The renderer is stopped after ``timeout`` seconds (default:
        ``AUTOGRAD_CORE_RENDER_TIMEOUT``, else 30), as in :func:`viz.render.render_svg`.
        """
        from .render import render_svg

        return render_svg(self.source, timeout=timeout)

    def save_svg(self, path: Any, timeout: float | None = None) -> Any:
        """Write the graph as SVG to ``path`` (atomically); returns the path written.

        ``timeout`` is as for :meth:`to_svg`.
        """
        from .render import write_svg

        return write_svg(self.source, path, timeout=timeout)

    # graphviz's own pipe() and render() run the system ``dot``. micrograd's users reach for
    # them first, so for SVG they go through our renderers when there is no system dot.
    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:
        """As ``graphviz.Digraph.pipe``; SVG works with no system Graphviz."""
        if (format or self.format) != "svg" or args or _system_dot() or any(
                kwargs.get(k) is not None for k in ("renderer", "formatter", "engine")):
            with _needs_system_dot():
                return super().pipe(format, *args, **kwargs)
        svg = self.to_svg()
        return svg if kwargs.get("encoding") else svg.encode("utf-8")

    def render(self, filename: Any = None, directory: Any = None, view: bool = False,
               cleanup: bool = False, format: str | None = None, *args: Any,
               **kwargs: Any) -> str:
        """As ``graphviz.Digraph.render`` (DOT file plus ``<file>.svg``); SVG works with no
        system Graphviz. ``view=True`` needs a system viewer and is refused then."""
        if (format or self.format) != "svg" or args or _system_dot() or any(
                kwargs.get(k) is not None for k in ("renderer", "formatter", "engine")):
            with _needs_system_dot():
                return super().render(filename, directory, view, cleanup, format, *args,
                                      **kwargs) if args else super().render(
                    filename, directory=directory, view=view, cleanup=cleanup, format=format,
                    **kwargs)
        if view:
            raise ValueError("render(view=True) opens a system viewer; without a system "
                             "Graphviz, render() and open the .svg file yourself")
        import os

        source_path = self.save(filename, directory=directory)
        outfile = kwargs.get("outfile")
        target = os.fspath(outfile) if outfile is not None else f"{source_path}.svg"
        self.save_svg(target)
        if cleanup:
            os.remove(source_path)
        return target

    def _display_svg(self) -> str:
        svg = self.to_svg()
        return svg if self.fixed_size else fit_width(svg)

    def _repr_svg_(self) -> str:
        return self._display_svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict:
        wanted = {"image/svg+xml"}
        if include is not None:
            wanted &= set(include)
        if exclude is not None:
            wanted -= set(exclude)
        return {"image/svg+xml": self._display_svg()} if wanted else {}


@contextlib.contextmanager
def _needs_system_dot() -> Iterator[None]:
    """graphviz's ExecutableNotFound as our RendererNotFound, saying what works without it."""
    try:
        yield
    except graphviz.ExecutableNotFound:
        from .render import RendererNotFound

        raise RendererNotFound(
            "this needs the system Graphviz ('dot' on PATH), which is not installed: without "
            "it only SVG renders (format='svg', to_svg(), save_svg(path)), through the "
            "WebAssembly Graphviz"
        ) from None


def _system_dot() -> bool:
    import shutil

    return shutil.which("dot") is not None


def fit_width(svg: str) -> str:
    """SVG text that scales to its container: the ``<svg>`` tag gets ``width="100%"`` (no
    larger than its natural width) and no fixed height; the ``viewBox`` keeps the proportions.

    >>> fit_width('<svg width="338pt" height="268pt" viewBox="0 0 338 268"><g/></svg>')
    '<svg width="100%" style="max-width: 338pt; height: auto" viewBox="0 0 338 268"><g/></svg>'
    """
    match = re.search(r"<svg\b[^>]*>", svg)
    if match is None or "viewBox=" not in match.group(0):
        return svg
    tag = match.group(0)
    width = re.search(r'\swidth="([^"]*)"', tag)
    natural = width.group(1) if width else ""
    tag = re.sub(r'\s(width|height|style)="[^"]*"', "", tag)
    style = f"max-width: {natural}; height: auto" if natural else "height: auto"
    tag = tag.replace("<svg", f'<svg width="100%" style="{style}"', 1)
    return svg[: match.start()] + tag + svg[match.end():]


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


def group_path(label: str) -> tuple[str, ...]:
    """The groups a dotted label puts its value in, outermost first (at most 6 levels).

    Each group's part must be a Python identifier (``L0``, ``n3``) and the last part
    non-empty; other labels with dots (``1.5``, ``a..b``, ``v.``) make no group.

    >>> group_path("L0.n3.w1"), group_path("x0"), group_path("1.5"), group_path("a..b")
    (('L0', 'L0.n3'), (), (), ())
    """
    if "." not in label:
        return ()
    parts = label.split(".")
    if not parts[-1]:
        return ()
    parts = parts[:-1][:MAX_GROUP_DEPTH]
    if not all(part.isidentifier() for part in parts):
        return ()
    return tuple(".".join(parts[: i + 1]) for i in range(len(parts)))


def _check_args(root: Any, rankdir: Any, max_nodes: Any, collapse: Any = None,
                size: Any = None) -> str | None:
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
    if collapse is not None and collapse not in COLLAPSE:
        raise ValueError(
            f"collapse must be None (every value), 'neuron' or 'layer', got {collapse!r}"
        )
    if size is None:
        return None
    if isinstance(size, tuple) and len(size) == 2 and all(
        isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s < math.inf
        for s in size
    ):
        return f"{size[0]:g},{size[1]:g}"
    if isinstance(size, str) and _SIZE.fullmatch(size) and float(re.split("[,!]", size)[0]) > 0:
        return size
    raise ValueError(
        f"size must be inches as 'width,height' (e.g. '8,5'; '8,5!' to scale up too) "
        f"or a (width, height) tuple, got {size!r}"
    )


def _items(
    forward: list[Value], paths: dict[Value, tuple[str, ...]], level: str | None
) -> tuple[dict[Value, int], list[tuple[str | None, list[Value]]]]:
    """What gets one DOT node: each value alone, or the values of one group together.

    Returns the item index of each value and the items as ``(group name or None, members)``,
    in forward order of their first member.
    """
    item_of: dict[Value, int] = {}
    items: list[tuple[str | None, list[Value]]] = []
    by_group: dict[str, int] = {}
    for node in forward:
        path = paths.get(node) if level is not None else None
        if not path:
            item_of[node] = len(items)
            items.append((None, [node]))
            continue
        group = path[-1] if level == "neuron" else path[0]
        index = by_group.get(group)
        if index is None:
            index = by_group[group] = len(items)
            items.append((group, []))
        items[index][1].append(node)
        item_of[node] = index
    return item_of, items


def _inputs(index: int, members: list[Value], item_of: dict[Value, int]) -> list[int]:
    """The items an item reads from, each once, in argument order of its members."""
    seen = {index}
    out = []
    for member in members:
        for parent in member.parents:
            source = item_of[parent]
            if source not in seen:
                seen.add(source)
                out.append(source)
    return out


def _nearest_items(
    start: int, items: list[tuple[str | None, list[Value]]], item_of: dict[Value, int],
    limit: int,
) -> set[int]:
    """The ``limit`` items nearest the root's item, breadth first over inputs."""
    kept = [start]
    seen = {start}
    queue = deque([start])
    while queue and len(kept) < limit:
        index = queue.popleft()
        for source in _inputs(index, items[index][1], item_of):
            if source not in seen:
                seen.add(source)
                kept.append(source)
                queue.append(source)
    return set(kept[:limit])


def _within(name: str, path: tuple[str, ...] | None) -> str:
    """A name as shown inside its innermost cluster: ``L0.n3.w1`` in ``L0.n3`` is ``w1``."""
    if path and name.startswith(path[-1] + "."):
        return name[len(path[-1]) + 1:]
    return name


def _short(name: str) -> str:
    """The last part of a dotted name: ``L0.n3.out`` -> ``out``."""
    return name.rsplit(".", 1)[-1]


def _group_fields(
    members: list[Value], outputs: list[Value], names: dict[Value, str], show_grad: bool,
) -> tuple[list[str], float]:
    """Record fields after the group's name, and the grad that colours the node."""
    fields = []
    grads = [_number(out.grad) for out in outputs]
    if len(outputs) == 1:
        out = outputs[0]
        fields.append(f"data {format_field(out.data)}")
        if show_grad:
            fields.append(f"grad {format_field(grads[0])}")
        colour = grads[0]
    else:
        datas = [float(out.data) for out in outputs]
        fields.append(f"{len(outputs)} outputs")
        fields.append(f"data {format_field(min(datas))} .. {format_field(max(datas))}")
        finite = [g for g in grads if not math.isnan(g)]
        colour = max(finite, key=abs) if finite else math.nan
        if show_grad:
            fields.append(f"grad max{escape('|g|')} {format_field(abs(colour))}")
    params = [m for m in members if m._op is None]
    if params:
        text = f"{len(params)} params"
        if show_grad:
            pgrads = [_number(p.grad) for p in params]
            top = max((abs(g) for g in pgrads if not math.isnan(g)), default=math.nan)
            norm = math.sqrt(math.fsum(g * g for g in pgrads)) if all(
                math.isfinite(g) for g in pgrads) else math.hypot(*pgrads)
            text += f": max{escape('|g|')} {format_field(top)}"
            fields.append(text)
            text = f"norm {format_field(norm)}"
        fields.append(text)
    return fields, colour


def build(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    grad_text: Callable[[Value], str] | None = None,
    collapse: str | None = None,
    auto_collapse: bool = False,
    size: Any = None,
    legend: bool = True,
) -> tuple[DotGraph, dict[Value, str]]:
    """The graph and the DOT id of each value drawn (``v0``, ``v1``..., op nodes ``v3_op``).

    ``grad_text(node)`` overrides the text of the grad field (the stepping page uses it to
    reserve room for every value the field will show). ``collapse``, ``size`` and ``legend``
    are :func:`draw_dot`'s; ``auto_collapse=True`` collapses a graph above ``max_nodes`` by
    neuron, then by layer, before cutting it (``draw_dot`` does; ``build`` by default cuts).
    Values drawn inside a collapsed node are not in the ids but in ``graph.collapsed_into``.
    """
    size_attr = _check_args(root, rankdir, max_nodes, collapse, size)
    names = node_names(root)
    forward = list(names)  # node_names: inputs first, a deterministic topological order
    paths: dict[Value, tuple[str, ...]] = {}
    for node in forward:
        if node.label:
            path = group_path(label_text(node.label))
            if path:
                paths[node] = path

    level = collapse
    item_of, items = _items(forward, paths, level)
    if (level is None and auto_collapse and paths and max_nodes is not None
            and len(items) > max_nodes):
        for level in COLLAPSE:
            item_of, items = _items(forward, paths, level)
            if len(items) <= max_nodes:
                break
    root_item = item_of[root]
    if max_nodes is not None and len(items) > max_nodes:
        kept = _nearest_items(root_item, items, item_of, max_nodes)
    else:
        kept = set(range(len(items)))
    elided = sum(len(items[i][1]) for i in range(len(items)) if i not in kept)

    # Ids: kept single values v0, v1... in forward order, collapsed groups c0, c1...
    ids: dict[Value, str] = {}
    item_ids: dict[int, str] = {}
    groups = 0
    for index, (group, members) in enumerate(items):
        if index not in kept:
            continue
        if group is None:
            item_ids[index] = ids[members[0]] = f"v{len(ids)}"
        else:
            item_ids[index] = f"c{groups}"
            groups += 1

    # Which members of a group are read from outside it: its outputs.
    read_outside: set[Value] = {root}
    if groups:
        for node in forward:
            here = item_of[node]
            for parent in node.parents:
                if item_of[parent] != here:
                    read_outside.add(parent)

    dot = DotGraph("autograd", format="svg")
    dot.fixed_size = size_attr is not None
    dot.collapse = level
    # Collapsed nodes have many edges between them: room to see them apart.
    dot.attr("graph", rankdir=rankdir, fontname=FONT, nodesep="0.1",
             ranksep="0.35" if level is None else "1.2")
    if level is not None:
        # Layers of collapsed neurons are fully connected: crossing minimisation cannot help
        # and its later passes rotate a layer (n8..n15, n0..n7); the first order is n0 first.
        dot.attr("graph", mclimit="0.1")
    if size_attr is not None:
        dot.attr("graph", size=size_attr)
    dot.attr("node", fontname=FONT, fontsize="12", height="0.3")
    dot.attr("edge", arrowsize="0.6")

    # Every drawn item, with the grad that colours it and the record fields.
    drawn: list[tuple[int, list[str], float, dict[str, str]]] = []
    compact: set[int] = set()
    for index, (group, members) in enumerate(items):
        if index not in kept:
            continue
        node_id = item_ids[index]
        if group is None:
            node = members[0]
            g = _number(node.grad)
            # A parameter inside a neuron: one short line (name | data | g grad), so that a
            # neuron of many inputs stays small; other values: name over data over grad.
            is_compact = node._op is None and bool(paths.get(node))
            if is_compact:
                compact.add(index)
            fields = [escape(_within(names[node], paths.get(node))),
                      format_field(node.data) if is_compact else f"data {format_field(node.data)}"]
            if show_grad:
                text = grad_text(node) if grad_text is not None else format_field(g)
                fields.append(f"{'g' if is_compact else 'grad'} {escape(text)}")
            drawn.append((index, fields, g, {"_compact": "1"} if is_compact else {}))
        else:
            outputs = [m for m in members if m in read_outside] or [members[-1]]
            fields, g = _group_fields(members, outputs, names, show_grad)
            title = _within(group, paths[members[0]][:-1] if level == "neuron" else ())
            if len(outputs) == 1 and outputs[0]._op is not None:
                title += f" ({_short(names[outputs[0]])}: {outputs[0]._op.name})"
            fields.insert(0, escape(title))
            for member in members:
                dot.collapsed_into[member] = node_id
            drawn.append((index, fields, g, {"class": level or "", "tooltip": escape(
                f"{group}: {len(members)} values drawn as one")}))
    scale = grad_scale([g for _, _, g, _ in drawn])

    # Clusters: the groups still drawn as groups, nested by their dotted names.
    def clusters_of(index: int) -> tuple[str, ...]:
        group, members = items[index]
        path = paths.get(members[0], ())
        if group is None:
            return path
        return path[: path.index(group)]

    children: dict[str | None, list[str]] = {None: []}
    content: dict[str | None, list[tuple[int, list[str], float, dict[str, str]]]] = {None: []}
    for entry in drawn:
        outer: str | None = None
        for name in clusters_of(entry[0]):
            if name not in content:
                content[name] = []
                children[name] = []
                children[outer].append(name)
            outer = name
        content[outer].append(entry)
    cluster_ids = {name: f"cluster{i}" for i, name in enumerate(n for n in content if n)}

    def layer_of(index: int) -> str | None:
        path = paths.get(items[index][1][0], ())
        return path[0] if path else None

    # Fields stacked (name over data over grad): braces flip a record's direction, and LR
    # starts it horizontal.
    opening, closing = ("{ { ", " } }") if rankdir in ("LR", "RL") else ("{ ", " }")
    line_open, line_close = ("{ ", " }") if rankdir in ("LR", "RL") else ("", "")

    def emit_node(graph: graphviz.Digraph, entry: tuple[int, list[str], float, dict],
                  clustered: bool) -> None:
        index, fields, g, extra = entry
        node_id = item_ids[index]
        extra = dict(extra)
        compact = extra.pop("_compact", None) is not None
        attrs = {"shape": "record", "id": node_id, **extra}
        if show_grad:
            fill, font = grad_fill(g, scale)
            attrs.update(style="filled", fillcolor=fill, fontcolor=font)
        if compact:
            attrs.update(fontsize="10", height="0.2", margin="0.04,0.01")
            label = line_open + " | ".join(fields) + line_close
        else:
            label = opening + " | ".join(fields) + closing
        graph.node(node_id, label=label, **attrs)
        group, members = items[index]
        node = members[0]
        if group is None and node._op is not None:
            op_id = f"{node_id}_op"
            # ordering=in keeps the inputs in argument order, top to bottom; inside a cluster
            # Graphviz honours it only as a cyclic order and does better without it.
            graph.node(op_id, label=escape(node._op.name), shape="ellipse", id=op_id,
                       margin="0.04,0.02", width="0.3",
                       **({"ordering": "out" if clustered else "in"}),
                       tooltip=escape(expression(node, names)))

    first_use: dict[int, tuple[int, int]] = {}  # leaf item -> (reader, argument position)
    for reader, node in enumerate(forward):
        for position, parent in enumerate(node.parents):
            source = item_of[parent]
            if parent._op is None and items[source][0] is None:
                first_use.setdefault(source, (reader, position))

    def emit(graph: graphviz.Digraph, cluster: str | None, depth: int) -> None:
        # Sibling clusters in the order given come out top to bottom with LR (now that each
        # neuron's parameters follow its op) and right to left with TB: neuron 0 first.
        siblings = children[cluster]
        for name in (siblings if rankdir in ("LR", "RL") else reversed(siblings)):
            with graph.subgraph(name=cluster_ids[name]) as sub:
                sub.attr(label=escape(name), id=cluster_ids[name], fontsize="11",
                         style="rounded", color="#999999", margin="6",
                         **{"class": "layer" if depth == 0 else "neuron"})
                emit(sub, name, depth + 1)
        entries = content[cluster]
        if cluster is None:
            # Leaves outside clusters (a network's inputs) declared as their first reader
            # takes them: Graphviz then stacks x0 above x1 when nothing else decides.
            leaves = [e for e in entries if e[0] in first_use]
            leaves.sort(key=lambda e: first_use[e[0]])
            entries = leaves + [e for e in entries if e[0] not in first_use]
        else:
            # A neuron's parameters in argument order of the op reading them, as a grid of
            # columns of at most GRID_ROWS (invisible edges put each column one rank on).
            leaves = [e for e in entries if e[0] in first_use and "_compact" in e[3]]
            leaves.sort(key=lambda e: first_use[e[0]])
            rest = [e for e in entries if not (e[0] in first_use and "_compact" in e[3])]
            entries = leaves + rest
            by_reader: dict[int, list[int]] = {}
            for e in leaves:
                by_reader.setdefault(first_use[e[0]][0], []).append(e[0])
            for params in by_reader.values():
                if len(params) <= GRID_ROWS:
                    continue
                # Runs of consecutive parameters, each one rank further than the last (an
                # invisible edge). With LR: rows of 3 (w0 w1 w2 / w3 w4 w5 ...); with TB,
                # where one rank is a row of wide records, columns of GRID_ROWS.
                run = (math.ceil(len(params) / GRID_ROWS) if rankdir in ("LR", "RL")
                       else GRID_ROWS)
                for i in range(len(params) - 1):
                    if (i + 1) % run:
                        graph.edge(item_ids[params[i]], item_ids[params[i + 1]],
                                   style="invis")
        for entry in entries:
            emit_node(graph, entry, cluster is not None)

    emit(dot, None, 0)

    # Edges, in argument order; one edge per pair of drawn items that are not single values,
    # and one edge from the note of elided values to each drawn item that reads any of them.
    for index, _, _, _ in drawn:
        group, members = items[index]
        target = item_ids[index]
        if group is None:
            node = members[0]
            if node._op is None:
                continue
            op_id = f"{target}_op"
            # The op's out-edges: its result, then its own parameters (see below). With
            # ordering=out Graphviz stacks them in the order given, bottom to top with LR.
            outs: list[tuple[str, dict[str, str]]] = [(target, {"id": f"{op_id}_out"})]
            grouped: set[int] = set()
            elided_edge = False
            for position, parent in enumerate(node.parents):
                source = item_of[parent]
                edge_id = f"{op_id}_in{position}"
                if source not in kept:
                    if not elided_edge:
                        elided_edge = True
                        dot.edge("elided", op_id, id=edge_id)
                elif source in compact and paths.get(parent) == paths.get(node):
                    # A neuron's own parameter: drawn after its op (the edge reversed, the
                    # arrow still pointing at the op), so that the edges coming into the
                    # layer reach its ops in one rank instead of routing around its
                    # parameters.
                    outs.append((item_ids[source], {"id": edge_id, "dir": "back",
                                                    "color": PARAM_EDGE, "penwidth": "0.7"}))
                elif items[source][0] is None:
                    apart = layer_of(index) is not None and layer_of(source) != layer_of(index)
                    dot.edge(item_ids[source], op_id, id=edge_id,
                             **({"color": LIGHT, "penwidth": "0.6"} if apart else {}))
                elif source not in grouped:
                    grouped.add(source)
                    dot.edge(item_ids[source], op_id, id=edge_id)
            for head, attrs in (reversed(outs) if rankdir in ("LR", "RL") else outs):
                dot.edge(op_id, head, **attrs)
            continue
        count = 0
        elided_edge = False
        for source in _inputs(index, members, item_of):
            if source in kept:
                # Between collapsed groups (layer to layer): many edges side by side.
                light = items[source][0] is not None or len(_inputs(index, members, item_of)) > 4
                dot.edge(item_ids[source], target, id=f"{target}_in{count}",
                         **({"color": LIGHT, "penwidth": "0.6"} if light else {}))
                count += 1
            elif not elided_edge:
                elided_edge = True
                dot.edge("elided", target, id=f"{target}_in{count}")
                count += 1
    if elided:
        dot.node(
            "elided",
            label=escape(
                f"... {elided} more values not drawn (max_nodes={max_nodes}; "
                "pass max_nodes=None to draw all)"
            ),
            shape="note", id="elided",
        )
    if show_grad and legend:
        _add_legend(dot, scale)
    return dot, ids


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    *,
    collapse: str | None = None,
    size: Any = None,
    legend: bool = True,
) -> DotGraph:
    """The computation graph behind ``root`` as a ``graphviz.Digraph`` (a :class:`DotGraph`).

    Each value is a record (name, data, grad) filled by its gradient's sign and size, with a
    legend (``legend=False`` drops it); each op is a small node whose inputs are drawn in
    argument order. A parameter inside a neuron's cluster is one short line
    (``w3 | -0.2880 | g 0.0000``), drawn after its op (the arrow still points at the op),
    and a neuron of many inputs lays them out in rows of three: ``w0 w1 w2`` over
    ``w3 w4 w5``... Values are named by their labels, others ``t1``, ``t2``...; a label set
    to a non-str after creation is shown as ``str(label)``.

    Dotted labels make groups: ``L0.n3.w1`` sits in the cluster ``L0.n3`` inside the cluster
    ``L0`` (a neuron inside a layer, as ``nn`` labels its values). ``collapse="neuron"``
    draws each innermost group as one node (its output's data and grad, and the count, largest
    |grad| and norm of its parameters' gradients); ``collapse="layer"`` one node per outermost
    group; ``None`` every value. A graph of more than ``max_nodes`` values collapses by
    neuron, then by layer, and if still too large keeps the ``max_nodes`` nodes nearest
    ``root`` and a note counting the rest; ``max_nodes=None`` draws everything.

    ``size="8,5"`` (inches, Graphviz's ``size``) fixes the drawing's size; without it the
    SVG shown in Jupyter scales to the width of the cell.

    >>> from autograd_core import Value
    >>> x = Value(2.0, label="x"); y = x.tanh(); y.label = "y"
    >>> dot = draw_dot(y)
    >>> print(dot.source.splitlines()[4].strip())
    v0 [label="{ { x | data 2.0000 | grad 0.0000 } }" fillcolor="#ffffff" fontcolor=black id=v0 shape=record style=filled]
    """  # noqa: E501
    dot, _ = build(root, rankdir=rankdir, show_grad=show_grad, max_nodes=max_nodes,
                   collapse=collapse, auto_collapse=True, size=size, legend=legend)
    return dot
