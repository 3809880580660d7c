"""One self-contained HTML page that steps through the backward pass: ``backward_page``.

The page holds the graph as inline SVG and the steps as JSON; a few lines of inline script
move through them with Previous/Next, the arrow keys or a slider. At each step the node
being processed (CSS class ``current``) and its parents (class ``parent``) are highlighted,
the gradients filled in so far are shown in the nodes, the view pans smoothly to the node,
and a side panel shows the chain rule of the step and a table of its gradient updates.
The graph pans by dragging and zooms with the mouse wheel or the zoom buttons. No network,
no CDN, no server: the same page shows inline in Jupyter (``Stepper(root)`` displayed).

``backward_page(root, path, mode="forward", tangents={x: 1.0})`` (or ``forward_page``) steps
through forward mode instead: inputs first, each step filling in one node's tangent
(``dot``) from its inputs', the panel showing the chain rule and a table of its terms;
``Stepper(root, mode="forward", tangents=...)`` displays it inline.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from autograd_core import Value
from autograd_core.graph import topological_order
from autograd_core.steps import (
    TOP,
    ForwardStep,
    Step,
    _forward_setup,
    _prepare,
    _run,
    _run_forward,
    _start,
    format_number,
    node_names,
)
from autograd_core.value import to_float

from .dot import build, grad_fill, grad_scale
from .render import RendererNotFound, _check_path, atomic_write, render_svg, save_dot_instead
from .text import format_field

__all__ = ["PAGE_MAX_NODES", "UNKNOWN", "backward_page", "forward_page", "forward_page_data",
           "page_data", "render_page", "stepper_html"]

UNKNOWN = "?"  # the grad field of a node no gradient has reached yet
PAGE_MAX_NODES = 500  # values drawn on a page by default: the demo's 2-16-16-1 net fits
TABLE_ROWS = 60  # the side panel's table lists at most this many updates of one step
FULL_LINES = 400  # the "all lines" text of one step on the page stops after this many

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Text that can be written as UTF-8: lone surrogates become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _build(root: Value, rankdir: str, max_nodes: int | None, grad_text: Any) -> Any:
    """``viz.dot.build`` drawing every value (the page steps through values, not neurons:
    ``build`` collapses nothing unless asked) and cutting the graph at ``max_nodes``."""
    return build(root, rankdir=rankdir, show_grad=True, max_nodes=max_nodes,
                 grad_text=grad_text)


def _drawn_steps(root: Value, seed: float, keep: set[Value]) -> tuple[list[Step], int,
                                                                       dict[Value, float]]:
    """Run the pass from zero gradients, recording only the steps of ``keep``.

    Gives the recorded steps, how many steps were not recorded and every final gradient.
    Every ``.grad`` is restored afterwards: drawing a page does not change the graph.
    """
    nodes = topological_order(root)
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        order, seed = _prepare(root, seed)
        names = node_names(root)
        _start(root, order, seed)
        steps = list(_run(order, names, keep))
        final = {node: float(node.grad) for node in nodes}
    finally:
        for node, g in zip(nodes, saved, strict=True):
            node.grad = g
    return steps, len(order) - len(steps), final


def _rows(step: Step) -> tuple[list[list[str]], int]:
    """The side panel's table of a step: ``[parent, formula, local, contribution, grad]``."""
    updates = list(step.updates) if len(step.updates) <= TABLE_ROWS else step.largest(TABLE_ROWS)
    rows = [[u.name, u.formula, format_number(u.local), format_number(u.contribution),
             format_number(u.grad_after)] for u in updates]
    return rows, len(step.updates) - len(updates)


def _lines(step: Step) -> list[str]:
    """The step's chain-rule lines as ``str(step)`` has them (the largest ones for a wide node,
    whose last line points to the page's "all lines" instead of ``full_text()``)."""
    lines = step.lines()
    if step.summarised:
        lines[-1] = (f"... {len(step.updates) - TOP} more inputs, none with a larger "
                     f"|contribution| (all {len(step.updates)} below)")
    return lines


def _full_lines(step: Step) -> list[str] | None:
    """Every chain-rule line of a summarised step (at most ``FULL_LINES``), else None."""
    if not step.summarised:
        return None
    lines = [step.line(u) for u in step.updates[:FULL_LINES]]
    if len(step.updates) > FULL_LINES:
        lines.append(f"... {len(step.updates) - FULL_LINES} more lines not shown on the page "
                     "(step.full_text() in Python has them all)")
    return lines


def page_data(
    root: Value, grad: Any = None, max_nodes: int | None = PAGE_MAX_NODES,
    rankdir: str = "LR", start: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """The DOT text of the page's graph and the frames the page steps through.

    Frame 0 seeds the root; frame ``k`` is the state after the ``k``-th step of a drawn node.
    Only drawn nodes get a frame of their own; the steps of nodes not drawn still run, and if
    there are any a last frame shows the gradients they changed. Each frame names the node
    processed (``node``, ``op``), its ``parents`` and ``edges`` (DOT ids, for highlights),
    ``head`` (``name = expression``), ``grad`` (the node's gradient), the chain-rule
    ``lines`` (the largest contributions for a node with many inputs, ``full`` holding all of
    them), the side panel's ``rows`` and ``set``: ``[id, grad text, fill, font colour]`` for
    each node whose gradient changed. ``start`` is the frame the page opens at (the first
    step by default).
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_page() draws a Value, got {type(root).__name__}")
    seed = 1.0 if grad is None else to_float(grad, "the seed gradient")
    _, ids = _build(root, rankdir, max_nodes, None)
    steps, skipped, final = _drawn_steps(root, seed, set(ids))
    names = node_names(root)
    scale = grad_scale(list(final.values()))

    def cell(node_id: str, g: float) -> list[str]:
        fill, font = grad_fill(g, scale)
        return [node_id, format_field(g), fill, font]

    # Reserve room in each grad field for the widest text it will show.
    widest: dict[Value, str] = dict.fromkeys(final, UNKNOWN)

    def widen(node: Value, text: str) -> None:
        if len(text) > len(widest[node]):
            widest[node] = text

    widen(root, format_field(seed))
    for node in ids:
        widen(node, format_field(final[node]))
    for step in steps:
        for update in step.updates:
            if update.parent in ids:
                widen(update.parent, format_field(update.grad_after))

    dot, ids = _build(root, rankdir, max_nodes, widest.__getitem__)
    root_name = names[root]
    root_id = ids[root]
    if steps or skipped:
        seed_line = (f"{root_name}.grad = {format_number(seed)}  ("
                     + (f"d{root_name}/d{root_name} = 1" if seed == 1.0
                        else "the seed given to backward") + ")")
        first_set = [cell(root_id, seed)]
    else:
        seed_line = (f"{root_name} is a leaf: {root_name}.grad = "
                     f"{format_number(final[root])}; nothing to propagate")
        first_set = [cell(root_id, final[root])]
    frames = [{"node": root_id, "op": "", "parents": [], "edges": [], "head": root_name,
               "grad": format_number(seed), "lines": [seed_line], "full": None, "rows": [],
               "more": 0, "set": first_set}]
    shown = {root_id: first_set[0][1]}
    for step in steps:
        node_id = ids[step.node]
        op_id = f"{node_id}_op"
        parents: list[str] = []
        edges = [f"{op_id}_out"]
        changed: dict[str, float] = {}
        for update in step.updates:
            parent_id = ids.get(update.parent)
            if parent_id is None:
                continue  # not drawn: nothing to highlight (and no edge of its own)
            if parent_id not in changed:
                parents.append(parent_id)
            edges.append(f"{op_id}_in{update.index}")
            changed[parent_id] = float(update.grad_after)
        rows, more = _rows(step)
        cells = [cell(i, g) for i, g in changed.items()]
        shown.update((c[0], c[1]) for c in cells)
        frames.append({
            "node": node_id, "op": op_id, "parents": parents,
            "edges": edges,
            "head": f"{step.name} = {step.expression}", "grad": format_number(step.upstream),
            "lines": _lines(step), "full": _full_lines(step), "rows": rows, "more": more,
            "set": cells,
        })
    if skipped:
        cells = [cell(ids[n], final[n]) for n in ids
                 if shown.get(ids[n]) != format_field(final[n]) and n is not root]
        frames.append({
            "node": "", "op": "", "parents": [c[0] for c in cells], "edges": [],
            "head": f"{skipped} more steps", "grad": "",
            "lines": [f"{skipped} more steps send gradient through values not drawn "
                      f"(max_nodes={max_nodes}); the gradients they change are filled in"],
            "full": None, "rows": [], "more": 0, "set": cells,
        })
    last = len(frames) - 1
    if start is None:
        start = 1 if last >= 1 else 0
    start = max(0, min(last, int(start)))
    initial = [[ids[n], UNKNOWN, "#ffffff", "black"] for n in ids]
    return _clean(dot.source), {"frames": frames, "initial": initial, "title": root_name,
                                "start": start}


def _forward_lines(step: ForwardStep) -> list[str]:
    """The chain rule of a forward step over a few lines: symbols, numbers, result, counts."""
    dot = f"{step.name}.dot"
    if step.untouched:
        return [f"{dot} = 0.0: no input depends on the seeded inputs", step.counts]
    symbols, numbers = step.chain(more=f" (all {len(step.terms)} below)")
    pad = " " * len(dot)
    return [f"{dot} = {' + '.join(symbols)}", f"{pad} = {' + '.join(numbers)}",
            f"{pad} = {format_number(step.tangent)}", step.counts]


def _forward_full(step: ForwardStep) -> list[str] | None:
    if not step.summarised:
        return None
    lines = [f"{t.formula} * {t.name}.dot = {format_number(t.local)} * "
             f"{format_number(t.tangent)}" for t in step.terms[:FULL_LINES]]
    if len(step.terms) > FULL_LINES:
        lines.append(f"... {len(step.terms) - FULL_LINES} more lines not shown on the page "
                     "(step.full_text() in Python has them all)")
    return lines


def _forward_rows(step: ForwardStep) -> tuple[list[list[str]], int]:
    """The side panel's table: ``[parent, formula, local, parent.dot, term]``."""
    terms = list(step.terms) if len(step.terms) <= TABLE_ROWS else step.largest(TABLE_ROWS)
    rows = [[t.name, t.formula, format_number(t.local), format_number(t.tangent),
             "0 (not moving)" if t.contribution is None else format_number(t.contribution)]
            for t in terms]
    return rows, len(step.terms) - len(terms)


def forward_page_data(
    root: Value, tangents: Any, max_nodes: int | None = PAGE_MAX_NODES,
    rankdir: str = "LR", start: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """The DOT text and the frames of the page stepping through forward mode.

    Frame 0 seeds the inputs (``tangents``; the other inputs have tangent 0); frame ``k`` is
    the state after the ``k``-th forward step of a drawn node: its tangent (``dot``) from its
    parents' tangents. The frames have the keys of :func:`page_data`'s; the nodes' last
    field shows ``dot`` instead of ``grad``. ``.grad`` is not touched.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_page() draws a Value, got {type(root).__name__}")
    order, seeds = _forward_setup(root, tangents, "backward_page(mode='forward')")
    names = node_names(root)
    found: dict[Value, float] = {}
    all_steps = list(_run_forward(order, seeds, names, found))
    final = {node: float(found.get(node, 0.0)) for node in order}
    _, ids = _build(root, rankdir, max_nodes, None)
    steps = [s for s in all_steps if s.node in ids]
    skipped = len(all_steps) - len(steps)
    scale = grad_scale(list(final.values()))

    def cell(node_id: str, t: float) -> list[str]:
        fill, font = grad_fill(t, scale)
        return [node_id, format_field(t), fill, font]

    widest = {node: max(UNKNOWN, format_field(final[node]), key=len) for node in final}
    dot, ids = _build(root, rankdir, max_nodes, widest.__getitem__)
    leaves = [n for n in order if n._op is None and n in ids]
    first_set = [cell(ids[n], final[n]) for n in leaves]
    seeded = [f"{names[n]}.dot = {format_number(t)}" for n, t in seeds.items()]
    still = [names[n] for n in order if n._op is None and n not in seeds]
    lines = ["seed: " + (", ".join(seeded) if seeded else "no tangent given")]
    if still:
        shown = ", ".join(still[:8]) + (", ..." if len(still) > 8 else "")
        lines.append(f"the other inputs do not move: dot = 0 ({shown})")
    lines.append("each step: node.dot = sum over its inputs of (d node / d input) * input.dot")
    frames = [{"node": "", "op": "", "parents": [ids[n] for n in seeds if n in ids],
               "edges": [], "head": "the seed", "grad": "", "lines": lines, "full": None,
               "rows": [], "more": 0, "set": first_set}]
    for step in steps:
        node_id = ids[step.node]
        op_id = f"{node_id}_op"
        parents: list[str] = []
        edges = [f"{op_id}_out"]
        for term in step.terms:
            parent_id = ids.get(term.parent)
            if parent_id is None:
                continue
            if parent_id not in parents:
                parents.append(parent_id)
            edges.append(f"{op_id}_in{term.index}")
        rows, more = _forward_rows(step)
        frames.append({
            "node": node_id, "op": op_id, "parents": parents, "edges": edges,
            "head": f"{step.name} = {step.expression}", "grad": format_number(step.tangent),
            "lines": _forward_lines(step), "full": _forward_full(step), "rows": rows,
            "more": more, "set": [cell(node_id, step.tangent)],
        })
    if skipped:
        frames.append({
            "node": "", "op": "", "parents": [], "edges": [],
            "head": f"{skipped} more steps", "grad": "",
            "lines": [f"{skipped} more steps compute tangents of values not drawn "
                      f"(max_nodes={max_nodes})"],
            "full": None, "rows": [], "more": 0, "set": [],
        })
    last = len(frames) - 1
    if start is None:
        start = 1 if last >= 1 else 0
    start = max(0, min(last, int(start)))
    initial = [[ids[n], UNKNOWN, "#ffffff", "black"] for n in ids]
    direction = ", ".join(seeded) or "no tangent"
    # The legend speaks of the fill the page paints: the tangents' scale, not .grad's.
    bar = "&#124;"
    source = re.sub(rf"fill: grad \(darkest at {bar}grad{bar} = [^)]*\)",
                    lambda _: f"fill: dot (darkest at {bar}dot{bar} = {scale:.4g})",
                    dot.source)
    return _clean(source), {"frames": frames, "initial": initial, "title": names[root],
                                "start": start, "mode": "forward", "field": "dot",
                                "direction": direction}


_CSS = """
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { font: 14px/1.35 system-ui, sans-serif; color: #222; display: flex;
       flex-direction: column; overflow: hidden; background: #fff; }
header { padding: 6px 12px; border-bottom: 1px solid #ddd; flex: none; }
h1 { font-size: 16px; margin: 0 0 4px 0; font-weight: 600; white-space: nowrap;
     overflow: hidden; text-overflow: ellipsis; }
#controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#controls button { font: inherit; padding: 2px 10px; min-width: 2.2em; }
#slider { flex: 1 1 160px; min-width: 100px; max-width: 32em; }
#counter { font-variant-numeric: tabular-nums; white-space: nowrap; }
.gap { flex: none; width: 8px; }
main { flex: 1; display: flex; min-height: 0; }
#viewport { flex: 1; position: relative; overflow: hidden; cursor: grab; min-width: 0;
            background: #fff; touch-action: none; outline: none; }
#viewport.dragging { cursor: grabbing; }
#stage { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#stage.animate { transition: transform 0.45s ease; }
@media (prefers-reduced-motion: reduce) { #stage.animate { transition: none; } }
#stage svg { display: block; }
#panel { flex: none; width: clamp(260px, 34%, 460px); overflow: auto; padding: 8px 12px;
         border-left: 1px solid #ddd; }
#head { font-family: Courier, monospace; font-weight: bold; overflow-wrap: anywhere; }
#upstream { color: #555; margin: 2px 0 6px 0; font-family: Courier, monospace; }
pre { font: 12px/1.4 Courier, monospace; background: #f3f3f3; padding: 6px; margin: 4px 0;
      white-space: pre-wrap; overflow-wrap: anywhere; }
pre .ln { display: block; padding-left: 3ch; text-indent: -3ch; }
details summary { cursor: pointer; color: #1f5fa8; font-size: 13px; }
#updates { border-collapse: collapse; font: 12px Courier, monospace; width: 100%;
           margin-top: 6px; }
#updates th, #updates td { padding: 1px 4px; text-align: right; border-bottom: 1px solid #eee; }
#updates th:first-child, #updates td:first-child { text-align: left;
           overflow-wrap: anywhere; }
#updates th { font-family: system-ui, sans-serif; font-weight: 600; }
#table-more { color: #555; font-size: 12px; margin: 2px 0; }
g.current polygon, g.current ellipse { stroke: #d62728; stroke-width: 4px; }
g.parent polygon, g.parent ellipse { stroke: #ff7f0e; stroke-width: 3px; }
g.active path, g.active polygon { stroke: #d62728; stroke-width: 2.5px; stroke-opacity: 1; }
g.active polygon { fill: #d62728; fill-opacity: 1; }
.hint { color: #666; font-size: 12px; margin-top: 10px; }
"""

_SCRIPT = """
"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const frames = DATA.frames;
const $ = function (id) { return document.getElementById(id); };
const slider = $("slider"), counter = $("counter"), line = $("line");
const viewport = $("viewport"), stage = $("stage"), svg = stage.querySelector("svg");
const W = parseFloat(svg.getAttribute("width")) || 1000;
const H = parseFloat(svg.getAttribute("height")) || 1000;
let current = 0;
const view = { x: 0, y: 0, s: 1 };

// ------------------------------------------------------------------ pan and zoom
function place(animate) {
  stage.classList.toggle("animate", !!animate);
  stage.style.transform = "translate(" + view.x + "px, " + view.y + "px) scale(" + view.s + ")";
}
function fitScale() {
  return Math.min(viewport.clientWidth / W, viewport.clientHeight / H) * 0.96;
}
function clampScale(s) {
  return Math.max(Math.min(fitScale(), 0.2), Math.min(4, s));
}
function zoomAt(factor, cx, cy, animate) {
  const s = clampScale(view.s * factor), k = s / view.s;
  view.x = cx - (cx - view.x) * k;
  view.y = cy - (cy - view.y) * k;
  view.s = s;
  place(animate);
}
function zoomCentre(factor) {
  zoomAt(factor, viewport.clientWidth / 2, viewport.clientHeight / 2, true);
}
function fit() {
  const s = fitScale();
  view.s = s;
  view.x = (viewport.clientWidth - W * s) / 2;
  view.y = (viewport.clientHeight - H * s) / 2;
  place(true);
}
// The box of an element in the SVG's own pixels (independent of the pan and zoom).
function box(id) {
  const el = id && document.getElementById(id);
  if (!el || !el.getBBox) return null;
  const b = el.getBBox(), m = el.getCTM();
  if (!m) return null;
  const xs = [], ys = [];
  [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
   [b.x + b.width, b.y + b.height]].forEach(function (p) {
    xs.push(m.a * p[0] + m.c * p[1] + m.e);
    ys.push(m.b * p[0] + m.d * p[1] + m.f);
  });
  return { x: Math.min.apply(null, xs), y: Math.min.apply(null, ys),
           r: Math.max.apply(null, xs), b: Math.max.apply(null, ys) };
}
function union(boxes) {
  boxes = boxes.filter(Boolean);
  if (!boxes.length) return null;
  return boxes.reduce(function (u, b) {
    return { x: Math.min(u.x, b.x), y: Math.min(u.y, b.y),
             r: Math.max(u.r, b.r), b: Math.max(u.b, b.b) };
  });
}
// Bring the step's node into view: with its parents when they fit, else on its own.
function follow(f, animate) {
  if (!placed || !$("follow").checked) return;
  const node = union([box(f.node), box(f.op)]);
  if (!node) return;
  const vw = viewport.clientWidth, vh = viewport.clientHeight, margin = 30;
  const all = union([node].concat(f.parents.map(box)));
  const s = view.s;
  let target = node;
  if ((all.r - all.x) * s <= vw - 2 * margin && (all.b - all.y) * s <= vh - 2 * margin) {
    target = all;
  }
  const inside = view.x + target.x * s >= margin && view.x + target.r * s <= vw - margin &&
                 view.y + target.y * s >= margin && view.y + target.b * s <= vh - margin;
  if (inside) return;
  view.x = vw / 2 - (target.x + target.r) / 2 * s;
  view.y = vh / 2 - (target.y + target.b) / 2 * s;
  place(animate);
}
let drag = null;
viewport.addEventListener("pointerdown", function (e) {
  if (e.button !== 0) return;
  drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
  viewport.setPointerCapture(e.pointerId);
  viewport.classList.add("dragging");
  viewport.focus({ preventScroll: true });
});
viewport.addEventListener("pointermove", function (e) {
  if (!drag) return;
  view.x = drag.vx + e.clientX - drag.x;
  view.y = drag.vy + e.clientY - drag.y;
  place(false);
});
function endDrag() { drag = null; viewport.classList.remove("dragging"); }
viewport.addEventListener("pointerup", endDrag);
viewport.addEventListener("pointercancel", endDrag);
viewport.addEventListener("wheel", function (e) {
  e.preventDefault();
  const r = viewport.getBoundingClientRect();
  const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
  zoomAt(Math.exp(-delta * 0.0015), e.clientX - r.left, e.clientY - r.top, false);
}, { passive: false });

// ------------------------------------------------------------------ steps
function paint(id, text, fill, font) {
  const g = document.getElementById(id);
  if (!g) return;
  const texts = g.querySelectorAll("text");
  if (texts.length) {
    // The grad field is the last one: "grad 0.5" or, for a neuron's parameter, "g 0.5".
    const field = texts[texts.length - 1];
    // The field's name as drawn, kept from the first paint on; forward mode writes
    // "dot 0.5" (a neuron's one-line parameter, "g 0.5" as drawn: "d 0.5").
    let name = field.getAttribute("data-field");
    if (name === null) {
      const prefix = /^\\S+ /.exec(field.textContent);
      name = prefix ? prefix[0] : "grad ";
      if (DATA.field) name = name === "g " ? DATA.field[0] + " " : DATA.field + " ";
      field.setAttribute("data-field", name);
    }
    field.textContent = name + text;
  }
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
function cellRow(cells, tag) {
  const tr = document.createElement("tr");
  cells.forEach(function (c) {
    const td = document.createElement(tag);
    td.textContent = c;
    tr.appendChild(td);
  });
  return tr;
}
// One block per chain-rule line, so a long line wraps with a hanging indent.
function fillLines(el, lines) {
  el.textContent = "";
  lines.forEach(function (text) {
    const span = document.createElement("span");
    span.className = "ln";
    span.textContent = text;
    el.appendChild(span);
  });
}
function panel(f, k) {
  $("head").textContent = (k ? "step " + k + ": " : "") + f.head;
  $("upstream").textContent = f.grad && k ?
    f.head.split(" = ")[0] + "." + (DATA.field || "grad") + " = " + f.grad : "";
  fillLines(line, f.lines);
  const more = $("more");
  more.hidden = !f.full;
  if (f.full) {
    fillLines($("full"), f.full);
    $("more-count").textContent = "all " + f.full.length + " lines";
  }
  const body = $("updates").querySelector("tbody");
  body.textContent = "";
  f.rows.forEach(function (r) {
    const tr = cellRow([r[0], r[2], r[3], r[4]], "td");
    tr.title = "d/d" + r[0] + " = " + r[1];
    body.appendChild(tr);
  });
  $("updates").hidden = !f.rows.length;
  $("table-more").textContent = f.more ? "... " + f.more +
    (DATA.field === "dot" ? " more terms, none larger" :
     " more updates, none with a larger |contribution|") : "";
}
function show(k, animate) {
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
  panel(f, k);
  $("prev").disabled = k === 0;
  $("next").disabled = k === frames.length - 1;
  follow(f, animate !== false);
}
$("prev").addEventListener("click", function () { show(current - 1); });
$("next").addEventListener("click", function () { show(current + 1); });
$("zoom-in").addEventListener("click", function () { zoomCentre(1.25); });
$("zoom-out").addEventListener("click", function () { zoomCentre(0.8); });
$("fit").addEventListener("click", fit);
$("follow").addEventListener("change", function () { show(current); });
slider.addEventListener("input", function () { show(Number(slider.value)); });
document.addEventListener("keydown", function (e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const keys = {
    ArrowLeft: function () { show(current - 1); }, ArrowRight: function () { show(current + 1); },
    Home: function () { show(0); }, End: function () { show(frames.length - 1); },
    "+": function () { zoomCentre(1.25); }, "=": function () { zoomCentre(1.25); },
    "-": function () { zoomCentre(0.8); }, "0": fit,
  };
  const act = keys[e.key];
  if (act) { act(); e.preventDefault(); }
});
const m = /step=(\\d+)/.exec(location.hash);
const first = m ? Number(m[1]) : DATA.start;
// Open at a readable size on the first step's node. Inside a notebook the frame may have no
// size yet (a hidden or not yet attached output): then wait until it has one.
let placed = false;
function openView() {
  if (!viewport.clientWidth || !viewport.clientHeight) return false;
  placed = true;
  if (fitScale() >= 0.7) {  // a small graph: all of it, at most at its natural size
    view.s = Math.min(1, fitScale());
    view.x = (viewport.clientWidth - W * view.s) / 2;
    view.y = (viewport.clientHeight - H * view.s) / 2;
    place(false);
    return true;
  }
  view.s = 1;
  const b0 = union([box(frames[current].node), box(frames[current].op)]) ||
             { x: W, y: H / 2, r: W, b: H / 2 };
  view.x = viewport.clientWidth / 2 - (b0.x + b0.r) / 2 * view.s;
  view.y = viewport.clientHeight / 2 - (b0.y + b0.b) / 2 * view.s;
  place(false);
  return true;
}
current = Math.max(0, Math.min(frames.length - 1, first));
openView();
show(current, false);
if (window.ResizeObserver) {
  new ResizeObserver(function () {
    if (!placed) openView();
    else follow(frames[current], false);
  }).observe(viewport);
}
document.body.setAttribute("data-ready", "1");
"""


def _inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone, sized in CSS pixels by its viewBox (one unit, one pixel).

    No XML prolog, DOCTYPE or comments before it; the page's own pan and zoom scale it.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("the renderer returned no <svg> element")
    svg = svg[start:].strip()
    end = svg.find(">")
    tag = svg[: end + 1]
    box = re.search(r'viewBox="([-\d.eE+]+)[ ,]+([-\d.eE+]+)[ ,]+([-\d.eE+]+)[ ,]+([-\d.eE+]+)"',
                    tag)
    if box is None:
        return svg
    width, height = float(box.group(3)), float(box.group(4))
    tag = re.sub(r'\s(width|height|style)="[^"]*"', "", tag)
    tag = tag.replace("<svg", f'<svg width="{width:g}" height="{height:g}"', 1)
    return tag + svg[end + 1:]


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(svg: str, data: dict[str, Any]) -> str:
    """The HTML text of the page from the rendered SVG and the frames."""
    forward = data.get("mode") == "forward"
    if forward:
        title = html.escape(f"forward mode of {data['title']} ({data.get('direction', '')})")
        columns = "<th>input</th><th>local</th><th>input.dot</th><th>term</th>"
        hint = ("Red outline: the node whose tangent (dot) is being computed; orange: its "
                "inputs, whose tangents it combines. \"?\" marks a tangent not computed yet.")
    else:
        title = html.escape(f"backward pass of {data['title']}")
        columns = "<th>parent</th><th>local</th><th>+= contrib.</th>\n<th>grad now</th>"
        hint = ("Red outline: the node whose gradient is being sent back; orange: the parents\n"
                "receiving it. \"?\" marks a gradient not reached yet.")
    last = len(data["frames"]) - 1
    start = data.get("start", 0)
    return _clean(f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<div id="controls">
<button id="prev" type="button" title="previous step (left arrow)">&#9664; Previous</button>
<button id="next" type="button" title="next step (right arrow)">Next &#9654;</button>
<input id="slider" type="range" min="0" max="{last}" value="{start}" step="1"
 aria-label="step">
<span id="counter">step {start} of {last}</span>
<span class="gap"></span>
<button id="zoom-out" type="button" title="zoom out (-)">&minus;</button>
<button id="zoom-in" type="button" title="zoom in (+)">+</button>
<button id="fit" type="button" title="fit the whole graph (0)">Fit</button>
<label title="bring the node of each step into view"><input id="follow" type="checkbox"
 checked> follow</label>
</div>
</header>
<main>
<div id="viewport" tabindex="0" aria-label="graph: drag to pan, wheel to zoom">
<div id="stage">
{_inline_svg(svg)}
</div>
</div>
<aside id="panel">
<div id="head"></div>
<div id="upstream"></div>
<pre id="line"></pre>
<details id="more" hidden><summary id="more-count">all lines</summary><pre id="full"></pre>
</details>
<table id="updates"><thead><tr>{columns}</tr></thead><tbody></tbody></table>
<p id="table-more"></p>
<p class="hint">{hint} Arrow keys step; drag to pan, wheel or
+/- to zoom, 0 to fit.</p>
</aside>
</main>
<script type="application/json" id="data">{_script_json(data)}</script>
<script>{_SCRIPT}</script>
</body>
</html>
""")


def _data(root: Value, grad: Any, max_nodes: int | None, rankdir: str, start: int | None,
          mode: str, tangents: Any) -> tuple[str, dict[str, Any]]:
    if mode == "forward":
        if grad is not None:
            raise TypeError("the forward-mode page takes tangents=, not grad (forward mode "
                            "does not touch .grad)")
        return forward_page_data(root, tangents, max_nodes=max_nodes, rankdir=rankdir,
                                 start=start)
    if mode != "reverse":
        raise ValueError(f"mode must be 'reverse' or 'forward', got {mode!r:.40}")
    if tangents is not None:
        raise TypeError("tangents= is for mode='forward'")
    return page_data(root, grad, max_nodes=max_nodes, rankdir=rankdir, start=start)


def _page_text(root: Value, grad: Any, max_nodes: int | None, rankdir: str,
               start: int | None, mode: str = "reverse",
               tangents: Any = None) -> tuple[str, str]:
    """``(DOT source, page HTML)``; raises RendererNotFound with no Graphviz at all."""
    source, data = _data(root, grad, max_nodes, rankdir, start, mode, tangents)
    return source, render_page(render_svg(source), data)


def backward_page(
    root: Value,
    path: Any,
    grad: Any = None,
    *,
    rankdir: str = "LR",
    max_nodes: int | None = PAGE_MAX_NODES,
    timeout: float | None = None,
    mode: str = "reverse",
    tangents: Any = None,
) -> Path:
    """Write an HTML page stepping through ``root``'s backward pass; returns the path.

    ``mode="forward"`` with ``tangents={x: 1.0}`` steps through forward mode instead: one
    step per node, inputs first, each filling in the node's tangent ``dot`` from its
    inputs' (see :func:`forward_page`).

    The steps start from zero gradients (seed ``grad``, 1.0 by default) and the graph's own
    ``.grad`` values are left as they were. At most ``max_nodes`` values are drawn (``None``
    draws all); only their steps are on the page. The file is self-contained and written
    atomically. With no Graphviz renderer, the DOT text is written next to ``path`` and
    :class:`viz.render.RendererNotFound` says what to install. The renderer is stopped after
    ``timeout`` seconds (default: ``AUTOGRAD_CORE_RENDER_TIMEOUT``, else 30) with
    :class:`viz.render.RenderTimeout`.
    """
    path = _check_path(path)
    source, data = _data(root, grad, max_nodes, rankdir, None, mode, tangents)
    try:
        svg = render_svg(source, timeout=timeout)
    except RendererNotFound as exc:
        raise save_dot_instead(source, path, exc) from None
    return atomic_write(path, render_page(svg, data))


def forward_page(
    root: Value,
    path: Any,
    tangents: Any,
    *,
    rankdir: str = "LR",
    max_nodes: int | None = PAGE_MAX_NODES,
    timeout: float | None = None,
) -> Path:
    """Write an HTML page stepping through forward mode of ``root`` along ``tangents``
    (``{x: 1.0}`` for d/dx): each step highlights the node whose tangent is computed and its
    inputs, fills in the tangents (``dot``) so far, and the side panel shows the chain rule
    with numbers and a table of its terms. As :func:`backward_page` otherwise.
    """
    return backward_page(root, path, rankdir=rankdir, max_nodes=max_nodes, timeout=timeout,
                         mode="forward", tangents=tangents)


def stepper_html(
    root: Value, grad: Any = None, *, start: int | None = None,
    max_nodes: int | None = PAGE_MAX_NODES, height: int = 600, rankdir: str = "LR",
    mode: str = "reverse", tangents: Any = None,
) -> str:
    """The stepping page as an ``<iframe srcdoc=...>`` for a notebook cell.

    The iframe holds the whole page (no network, no server), spans the cell's width and is
    ``height`` pixels tall. ``Stepper(root)`` shows this when displayed in Jupyter.
    """
    if isinstance(height, bool) or not isinstance(height, int) or height < 200:
        raise ValueError(f"height must be an int of at least 200 (pixels), got {height!r}")
    _, page = _page_text(root, grad, max_nodes, rankdir, start, mode, tangents)
    kind = "forward mode" if mode == "forward" else "backward pass"
    title = html.escape(f"{kind} of {node_names(root)[root]}")
    return (f'<iframe class="autograd-stepper" title="{_clean(title)}" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ddd; '
            'box-sizing: border-box;" '
            f'sandbox="allow-scripts" srcdoc="{html.escape(page, quote=True)}"></iframe>')
