"""One self-contained HTML page that steps through the backward pass: ``backward_page``.

The page holds the graph as inline SVG and the steps as JSON; a few lines of inline script
move through them with Previous/Next, the arrow keys or a slider. At each step the node
being processed and its parents are highlighted, the gradients filled in so far are shown in
the nodes, and the chain-rule line of the step is printed under the graph. No network, no CDN.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from autograd_core import Value
from autograd_core.graph import topological_order
from autograd_core.steps import backward_steps, format_number, node_names
from autograd_core.value import to_float

from .dot import DEFAULT_MAX_NODES, build, grad_fill, grad_scale
from .render import RendererNotFound, _check_path, atomic_write, dot_path_for, render_svg
from .text import format_field

__all__ = ["UNKNOWN", "backward_page", "page_data"]

UNKNOWN = "?"  # the grad field of a node no gradient has reached yet


def _steps_on_fresh_grads(root: Value, grad: Any) -> tuple[list[Any], dict[Value, float]]:
    """Run the steps from zero gradients; give back the steps and the final gradients.

    Every ``.grad`` is restored afterwards: drawing a page does not change the graph.
    """
    nodes = topological_order(root)
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        steps = list(backward_steps(root, grad))
        final = {node: float(node.grad) for node in nodes}
    finally:
        for node, g in zip(nodes, saved, strict=True):
            node.grad = g
    return steps, final


def page_data(
    root: Value, grad: Any = None, max_nodes: int | None = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
) -> tuple[str, dict[str, Any]]:
    """The DOT text of the page's graph and the frames the page steps through.

    Frame 0 seeds the root; frame ``k`` is the state after step ``k``. Each frame names the
    node processed (``node``, ``op``), its ``parents`` and ``edges`` (DOT ids, for highlights),
    the chain-rule ``line``, and ``set``: ``[id, grad text, fill, font colour]`` for each node
    whose gradient changed.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_page() draws a Value, got {type(root).__name__}")
    seed = 1.0 if grad is None else to_float(grad, "the seed gradient")
    steps, final = _steps_on_fresh_grads(root, seed)
    names = node_names(root)
    scale = grad_scale(list(final.values()))

    def cell(node_id: str, g: float) -> list[str]:
        fill, font = grad_fill(g, scale)
        return [node_id, format_field(g), fill, font]

    # Reserve room in each grad field for the widest text it will show.
    widest: dict[Value, str] = dict.fromkeys(final, UNKNOWN)
    seed_text = format_field(seed)

    def widen(node: Value, text: str) -> None:
        if len(text) > len(widest[node]):
            widest[node] = text

    widen(root, seed_text)
    for step in steps:
        for update in step.updates:
            widen(update.parent, format_field(update.grad_after))

    dot, ids = build(root, rankdir=rankdir, show_grad=True, max_nodes=max_nodes,
                     grad_text=widest.__getitem__)
    root_id = ids[root]
    if steps:
        first = {"node": root_id, "op": "", "parents": [], "edges": [],
                 "line": f"{names[root]}.grad = {format_number(seed)}  ("
                         + (f"d{names[root]}/d{names[root]} = 1" if seed == 1.0
                            else "the seed given to backward") + ")",
                 "set": [cell(root_id, seed)]}
    else:
        first = {"node": root_id, "op": "", "parents": [], "edges": [],
                 "line": f"{names[root]} is a leaf: {names[root]}.grad = "
                         f"{format_number(final[root])}; nothing to propagate",
                 "set": [cell(root_id, final[root])]}
    frames = [first]
    for step in steps:
        node_id = ids.get(step.node)
        op_id = f"{node_id}_op" if node_id else ""
        parents = []
        changed: dict[str, float] = {}
        for update in step.updates:
            parent_id = ids.get(update.parent)
            if parent_id is None:
                continue
            if parent_id not in parents:
                parents.append(parent_id)
            changed[parent_id] = float(update.grad_after)
        frames.append({
            "node": node_id or "",
            "op": op_id,
            "parents": parents,
            "edges": [f"{op_id}_out"] + [f"{op_id}_in{i}" for i in range(len(step.updates))]
            if node_id else [],
            "line": str(step),
            "set": [cell(i, g) for i, g in changed.items()],
        })
    initial = [[ids[n], UNKNOWN, "#ffffff", "black"] for n in ids]
    return dot.source, {"frames": frames, "initial": initial, "title": names[root]}


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1em 2em; color: #222; }
#graph { overflow: auto; border: 1px solid #ddd; padding: 0.5em; max-height: 75vh; }
#graph svg { max-width: none; height: auto; }
#controls { margin: 0.8em 0; display: flex; gap: 0.8em; align-items: center; }
#slider { flex: 1; max-width: 40em; }
#line { font-family: Courier, monospace; font-size: 14px; background: #f6f6f6;
        padding: 0.6em; white-space: pre; overflow-x: auto; min-height: 2.5em; }
g.current polygon, g.current ellipse { stroke: #d62728; stroke-width: 3px; }
g.parent polygon, g.parent ellipse { stroke: #ff7f0e; stroke-width: 3px; }
g.active path, g.active polygon { stroke: #d62728; stroke-width: 2.5px; }
.hint { color: #777; font-size: 0.9em; }
"""

_SCRIPT = """
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const frames = DATA.frames;
const slider = document.getElementById("slider");
const counter = document.getElementById("counter");
const line = document.getElementById("line");
let current = 0;
function paint(id, text, fill, font) {
  const g = document.getElementById(id);
  if (!g) return;
  const texts = g.querySelectorAll("text");
  if (texts.length) texts[texts.length - 1].textContent = "grad " + text;
  const shape = g.querySelector("polygon, path");
  if (shape) shape.setAttribute("fill", fill);
  texts.forEach(function (t) { t.setAttribute("fill", font); });
}
function mark(ids, cls) {
  ids.forEach(function (id) {
    const el = id && document.getElementById(id);
    if (el) el.classList.add(cls);
  });
}
function show(k) {
  k = Math.max(0, Math.min(frames.length - 1, k));
  current = k;
  const apply = function (c) { paint(c[0], c[1], c[2], c[3]); };
  DATA.initial.forEach(apply);
  for (let i = 0; i <= k; i++) frames[i].set.forEach(apply);
  document.querySelectorAll(".current, .parent, .active").forEach(function (el) {
    el.classList.remove("current", "parent", "active");
  });
  const f = frames[k];
  mark([f.node, f.op], "current");
  mark(f.parents, "parent");
  mark(f.edges, "active");
  slider.value = String(k);
  counter.textContent = "step " + k + " of " + (frames.length - 1);
  line.textContent = f.line;
  document.getElementById("prev").disabled = k === 0;
  document.getElementById("next").disabled = k === frames.length - 1;
}
document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
document.getElementById("next").addEventListener("click", function () { show(current + 1); });
slider.addEventListener("input", function () { show(Number(slider.value)); });
document.addEventListener("keydown", function (e) {
  if (e.key === "ArrowLeft") { show(current - 1); e.preventDefault(); }
  else if (e.key === "ArrowRight") { show(current + 1); e.preventDefault(); }
  else if (e.key === "Home") { show(0); e.preventDefault(); }
  else if (e.key === "End") { show(frames.length - 1); e.preventDefault(); }
});
const m = /step=(\\d+)/.exec(location.hash);
show(m ? Number(m[1]) : 0);
"""


def _inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone: no XML prolog, DOCTYPE or comments before it."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("the renderer returned no <svg> element")
    return svg[start:].strip()


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(svg: str, data: dict[str, Any]) -> str:
    """The HTML text of the page from the rendered SVG and the frames."""
    title = html.escape(f"backward pass of {data['title']}")
    last = len(data["frames"]) - 1
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{title}</h1>
<div id="controls">
<button id="prev" type="button">Previous</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<button id="next" type="button">Next</button>
<span id="counter">step 0 of {last}</span>
</div>
<div id="graph">
{_inline_svg(svg)}
</div>
<pre id="line"></pre>
<p class="hint">Arrow keys move between steps. Red outline: the node whose gradient is being
sent back; orange: the parents receiving it. "?" marks a gradient not reached yet.</p>
<script type="application/json" id="data">{_script_json(data)}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def backward_page(
    root: Value,
    path: Any,
    grad: Any = None,
    *,
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> Path:
    """Write an HTML page stepping through ``root``'s backward pass; returns the path.

    The steps start from zero gradients (seed ``grad``, 1.0 by default) and the graph's own
    ``.grad`` values are left as they were. The file is self-contained and written atomically.
    With no Graphviz renderer, the DOT text is written next to ``path`` and
    :class:`viz.render.RendererNotFound` says what to install.
    """
    path = _check_path(path)
    source, data = page_data(root, grad, max_nodes=max_nodes, rankdir=rankdir)
    try:
        svg = render_svg(source)
    except RendererNotFound as exc:
        dot_file = atomic_write(dot_path_for(path), source)
        raise RendererNotFound(f"{exc} The DOT text was written to {dot_file}.") from None
    return atomic_write(path, render_page(svg, data))
