# ruff: noqa: E501  (the page's inline script and style are long lines of JavaScript/CSS)
"""Watch a network learn: ``training_page(model, history, X, y, path)``.

One self-contained HTML file (inline SVG, canvas and script: no network, no CDN, no server)
for a run recorded with ``fit(..., record=True)``. An epoch slider (and play/pause, or the
Home/End keys) drives every panel:

- the loss and metric curves, with the selected epoch marked;
- for 2-D inputs, the decision boundary at that epoch (a grid of predictions computed here,
  in Python, for every snapshot) with the data points;
- the network, layer by layer: edges by weight (width ``|w|``, blue positive, red negative),
  nodes by their activation for the selected data point;
- per-layer gradient norms over all epochs (log scale) with the dead (relu) and saturated
  (tanh/sigmoid) fractions of each layer;
- the selected point's backward pass at that epoch (for relu, tanh, sigmoid and linear
  layers; other activations get the other panels only), one node at a time: Previous/Next, the
  arrow keys or the step slider (as on ``viz.backward_page``); the node being processed has
  the CSS class ``current``, the nodes it sends gradient to the class ``parent``, and the
  side panel shows the chain rule of the step and its largest updates.

Click a data point (or type its index) to select it. The same pass on the full stepping page
(every value, Graphviz layout): ``viz.backward_page(point_loss(model, history, X, y, i,
epoch), path)``. The forward and backward passes of the
selected point are computed in the page from the snapshot's weights with the same formulas
as the engine; the loss gradient at the output comes from the engine (``dL/dout`` per point
and snapshot, for the first ``max_points`` points). The slider moves over the snapshot epochs
(every epoch for a small model: see :mod:`nn.record`).
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

from autograd_core import Value
from autograd_core.files import atomic_write

__all__ = ["page_data", "point_loss", "training_page", "training_page_html"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # 62 levels
GRID = 48  # boundary cells per side
MAX_POINTS = 200  # points whose backward pass the page can step through
ACTS = ("relu", "tanh", "sigmoid", "linear")


def _r(x: float) -> float | None:
    """A float for JSON with 7 significant digits (None for inf/nan)."""
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(f"{x:.7g}")


def _structure(model: Any) -> tuple[list[int], list[str]]:
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(
            f"training_page draws an nn.MLP (a model with .layers of neurons), "
            f"got {type(model).__name__}"
        )
    sizes = [int(model.nin)]
    acts = []
    for layer in layers:
        neurons = getattr(layer, "neurons", None)
        if not neurons or not all(hasattr(n, "w") and hasattr(n, "b") for n in neurons):
            raise TypeError("training_page draws an nn.MLP: every layer needs neurons w, b")
        if {len(n.w) for n in neurons} != {sizes[-1]}:
            raise TypeError("training_page draws an nn.MLP: layer sizes do not chain")
        names = {n.activation for n in neurons}
        acts.append(names.pop() if len(names) == 1 else "mixed")
        sizes.append(len(neurons))
    return sizes, acts


class _Weights:
    """Temporarily put a snapshot's numbers into the model's parameters."""

    def __init__(self, params: list[Value], numbers: list[float]) -> None:
        self.params, self.numbers = params, numbers

    def __enter__(self) -> None:
        self.saved = [p.data for p in self.params]
        for p, v in zip(self.params, self.numbers, strict=True):
            p.data = v

    def __exit__(self, *exc: Any) -> None:
        for p, v in zip(self.params, self.saved, strict=True):
            p.data = v


def _grid_scores(model: Any, sizes: list[int], acts: list[str], numbers: list[float],
                 cells: list[list[float]]) -> list[Any]:
    """The model's outputs on ``cells`` with the snapshot ``numbers`` (NumPy when there)."""
    try:
        import numpy as np
    except ImportError:
        np = None
    if np is None or any(a not in ACTS for a in acts):
        with _Weights(model.parameters(), numbers):
            return [model.predict_one(c) for c in cells]
    h = np.asarray(cells, dtype=float)
    k = 0
    for nin, nout, act in zip(sizes, sizes[1:], acts, strict=False):
        block = np.asarray(numbers[k: k + nout * (nin + 1)]).reshape(nout, nin + 1)
        k += nout * (nin + 1)
        z = h @ block[:, :nin].T + block[:, nin]
        if act == "relu":
            h = np.maximum(z, 0.0)
        elif act == "tanh":
            h = np.tanh(z)
        elif act == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-z))
        else:
            h = z
    return [row[0] for row in h.tolist()] if h.shape[1] == 1 else h.tolist()


def _encode_grid(scores: list[Any]) -> str:
    """One character per cell: the class for several outputs, else ``tanh(score)`` on 62
    levels (level 31 and up is the positive side)."""
    if scores and isinstance(scores[0], list):  # several outputs: the class
        n = len(ALPHABET)
        return "".join(ALPHABET[max(range(len(s)), key=s.__getitem__) % n] for s in scores)
    top = len(ALPHABET) - 1
    tanh = math.tanh
    return "".join(
        ALPHABET[round((tanh(s) + 1.0) * 0.5 * top)] if s == s else ALPHABET[top // 2]
        for s in scores
    )


def _target_class(t: Any, multi: bool) -> int:
    """The colour class of a target: sign for one output, class index (or one-hot) else."""
    if isinstance(t, (list, tuple)):
        if len(t) == 1:
            return 1 if t[0] > 0 else 0
        return max(range(len(t)), key=t.__getitem__)
    if multi:
        return int(t)
    return 1 if t > 0 else 0


def _output_grads(scores: list[Any], loss_fn: Any, targets: list[Any],
                  ) -> tuple[list[list[float | None]], list[float | None]]:
    """``dL/dout`` of each point's own loss (a batch of one) at its outputs ``scores``, and
    that loss, computed by the engine."""
    grads, losses = [], []
    for out, t in zip(scores, targets, strict=True):
        outs = [Value(v) for v in out] if isinstance(out, list) else [Value(out)]
        pred = outs if isinstance(out, list) else outs[0]
        loss = loss_fn([pred], [t])
        loss.backward()
        grads.append([_r(v.grad) for v in outs])
        losses.append(_r(loss.data))
    return grads, losses


def _recorder(history: Any) -> Any:
    from nn.record import Recorder

    if isinstance(history, Recorder):
        return history
    rec = getattr(history, "record", None)
    if isinstance(rec, Recorder):
        return rec
    raise TypeError(
        "training_page needs a recorded run: pass fit(..., record=True)'s history "
        f"(or its .record), got {type(history).__name__}"
    )


def page_data(model: Any, history: Any, X: Any, y: Any, *, loss: Any = None,
              max_points: int = MAX_POINTS, grid: int = GRID) -> dict[str, Any]:
    """Everything the page shows, as JSON-able data (see :func:`training_page`)."""
    from nn.losses import get_loss
    from nn.train import _rows, _targets

    rec = _recorder(history)
    sizes, acts = _structure(model)
    params = model.parameters()
    if rec.parameter_names and len(rec.parameter_names) != len(params):
        raise ValueError(
            f"the record has {len(rec.parameter_names)} parameters, the model "
            f"{len(params)}: pass the model that was trained"
        )
    rows = _rows(X, sizes[0])
    targets = _targets(y, len(rows))
    loss_fn = get_loss(loss) if loss is not None else rec.loss
    if loss_fn is None:
        raise ValueError("say which loss the model was trained with: loss='hinge', ...")
    if not rec.snapshots:
        raise ValueError("the record has no parameter snapshots: was the run recorded by fit?")
    epochs = sorted(rec.snapshots)
    shown = rows[:max_points]
    shown_t = targets[:max_points]
    snaps, out_grads, point_losses, boundary = [], [], [], []
    # The accuracy of each snapshot's weights on all the points (fit's history has the
    # running figures instead: averaged over the epoch's steps, before each update).
    after: dict[str, list[float | None]] = {}
    if "accuracy" in rec.history:
        from nn.train import accuracy
        after["accuracy"] = []
    two_d = sizes[0] == 2
    if two_d:
        xs = [r[0] for r in rows]
        ys = [r[1] for r in rows]
        pad_x = 0.1 * ((max(xs) - min(xs)) or 1.0)
        pad_y = 0.1 * ((max(ys) - min(ys)) or 1.0)
        extent = [min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y]
        cells = [[extent[0] + (extent[1] - extent[0]) * (i + 0.5) / grid,
                  extent[3] - (extent[3] - extent[2]) * (j + 0.5) / grid]
                 for j in range(grid) for i in range(grid)]
    for e in epochs:
        numbers = rec.snapshots[e]
        snaps.append([_r(v) for v in numbers])
        scores = _grid_scores(model, sizes, acts, numbers, shown)
        g, losses = _output_grads(scores, loss_fn, shown_t)
        if "accuracy" in after:
            every = scores if len(shown) == len(rows) else _grid_scores(model, sizes, acts, numbers, rows)
            after["accuracy"].append(_r(accuracy(every, targets)))
        out_grads.append(g)
        point_losses.append(losses)
        if two_d:
            boundary.append(_encode_grid(_grid_scores(model, sizes, acts, numbers, cells)))
    figures = {k: [_r(v) for v in vs] for k, vs in rec.history.items()}
    return {
        "sizes": sizes,
        "acts": acts,
        "epochs": epochs,
        "nepochs": rec.epochs,
        "history": figures,
        "after": after,
        "layers": rec.layers,
        "grad_norm": {k: [_r(v) for v in vs] for k, vs in rec.grad_norm.items()},
        "weight_norm": {k: [_r(v) for v in vs] for k, vs in rec.weight_norm.items()},
        "dead": rec.dead,
        "saturated": rec.saturated,
        "weights": snaps,
        "points": [[_r(v) for v in r] for r in shown],
        "classes": [_target_class(t, sizes[-1] > 1) for t in shown_t],
        "targets": [t if isinstance(t, (int, float)) else list(t) for t in shown_t],
        "npoints": len(rows),
        "out_grads": out_grads,
        "point_losses": point_losses,
        "loss_name": getattr(loss_fn, "__name__", "loss"),
        "grid": grid if two_d else 0,
        "extent": extent if two_d else None,
        "boundary": boundary,
        "multi": sizes[-1] > 1,
    }


def point_loss(model: Any, history: Any, X: Any, y: Any, index: int,
               epoch: int | None = None, *, loss: Any = None) -> Value:
    """The loss of data point ``index`` alone, computed by a copy of ``model`` holding the
    parameters of snapshot ``epoch`` (default: the last), as a graph to differentiate or to
    step through on the full stepping page, for example
    ``viz.backward_page(point_loss(model, history, X, y, 5, epoch=10), "step.html")``.
    ``model`` itself is not changed."""
    import copy

    from nn.losses import get_loss
    from nn.train import _logits_for, _rows, _targets

    rec = _recorder(history)
    rows = _rows(X, _model_nin_of(model))
    targets = _targets(y, len(rows))
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(rows):
        raise ValueError(f"index must be an int from 0 to {len(rows) - 1}, got {index!r}")
    if epoch is None:
        epoch = max(rec.snapshots)
    if epoch not in rec.snapshots:
        raise ValueError(f"no snapshot of epoch {epoch!r}; the record has {sorted(rec.snapshots)}")
    loss_fn = get_loss(loss) if loss is not None else rec.loss
    if loss_fn is None:
        raise ValueError("say which loss the model was trained with: loss='hinge', ...")
    twin = copy.deepcopy(model)
    for p, v in zip(twin.parameters(), rec.snapshots[epoch], strict=True):
        p.data = v
        p.grad = 0.0
    with _logits_for(twin, loss_fn):  # as fit computes it: a sigmoid head gives its logit
        root = loss_fn([twin(rows[index])], [targets[index]])
    root.label = "loss"
    return root


def _model_nin_of(model: Any) -> int | None:
    nin = getattr(model, "nin", None)
    return nin if isinstance(nin, int) else None


def training_page_html(model: Any, history: Any, X: Any, y: Any, *, loss: Any = None,
                       title: str | None = None, max_points: int = MAX_POINTS,
                       grid: int = GRID) -> str:
    """The page of :func:`training_page` as HTML text."""
    for what, v in (("max_points", max_points), ("grid", grid)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{what} must be a positive int, got {v!r}")
    data = page_data(model, history, X, y, loss=loss, max_points=max_points, grid=grid)
    if title is None:
        shape = "-".join(str(s) for s in data["sizes"])
        title = f"training an MLP {shape} ({data['acts'][0]}), {data['nepochs']} epochs"
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (_TEMPLATE.replace("__TITLE__", html.escape(title))
            .replace("__DATA__", text).replace("__STYLE__", _STYLE)
            .replace("__SCRIPT__", _SCRIPT))


def training_page(model: Any, history: Any, X: Any, y: Any, path: Any, *, loss: Any = None,
                  title: str | None = None, max_points: int = MAX_POINTS,
                  grid: int = GRID) -> Any:
    """Write the training page of a recorded run to ``path`` (atomically); returns the path.

    ``history`` is what ``fit(..., record=True)`` returned (or its ``.record``), ``X, y`` the
    training data (the first ``max_points`` points can be selected and stepped through),
    ``loss`` the loss trained with (default: the one ``fit`` recorded). ``grid`` cells per
    side of the decision boundary (2-D inputs).
    """
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    text = training_page_html(model, history, X, y, loss=loss, title=title,
                              max_points=max_points, grid=grid)
    return atomic_write(path, text)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>__STYLE__</style></head>
<body>
<header><h1>__TITLE__</h1>
<button id="play" type="button">&#9654; play</button>
<label>epoch <input id="epoch" type="range" min="0" max="0" value="0" step="1"></label>
<span id="epoch-label"></span>
<span class="figures" id="figures" title="running: fit's figures for the epoch, averaged over its steps before each update; after epoch: the weights at the end of the epoch on all the points (what the demo's target checks)"></span>
</header>
<main>
<section class="panel" id="curves-panel"><h2>loss and metrics</h2>
<svg id="curves" viewBox="0 0 400 250" preserveAspectRatio="xMidYMid meet"></svg></section>
<section class="panel" id="boundary-panel"><h2>decision boundary <small>(click a point)</small></h2>
<div id="boundary-box"><canvas id="boundary" width="240" height="240"></canvas>
<svg id="points" viewBox="0 0 240 240"></svg></div>
<div id="no-boundary" hidden>the inputs are not 2-D: pick a point by its index below</div>
</section>
<section class="panel" id="health-panel"><h2>gradient norm per layer <small>(log scale)</small></h2>
<svg id="health" viewBox="0 0 400 250" preserveAspectRatio="xMidYMid meet"></svg></section>
<section class="panel wide" id="network-panel"><h2>network at this epoch
<small>edges: width |w|, <span class="pos">blue +</span> / <span class="neg">red &minus;</span>;
nodes: activation for the selected point</small></h2>
<svg id="network" viewBox="0 0 820 330" preserveAspectRatio="xMidYMid meet"></svg></section>
<section class="panel" id="step-panel"><h2>backward pass of the selected point</h2>
<div id="point-info"></div>
<div class="controls"><label>point <input id="point" type="number" min="0" value="0"></label>
<button id="prev" type="button">&#9664; previous</button>
<button id="next" type="button">next &#9654;</button>
<input id="step" type="range" min="0" max="0" value="0"></div>
<div id="step-count"></div>
<div id="step-text"></div>
<div class="key"><svg width="14" height="14"><circle cx="7" cy="7" r="5" class="key-current"/></svg> node being processed &nbsp;<svg width="14" height="14"><circle cx="7" cy="7" r="5" class="key-parent"/></svg> its parents (receive gradient)</div>
<table id="updates"><thead><tr><th>gradient of</th><th>update</th><th>computed as</th></tr></thead>
<tbody></tbody></table>
</section>
</main>
<script id="training-data" type="application/json">__DATA__</script>
<script>__SCRIPT__</script>
</body></html>
"""

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#fafafa;color:#222;font-size:13px}
header{display:flex;gap:12px;align-items:center;padding:6px 12px;background:#fff;
 border-bottom:1px solid #ddd;position:sticky;top:0;z-index:2;flex-wrap:wrap}
h1{font-size:15px;margin:0 8px 0 0}h2{font-size:13px;margin:0 0 4px}
h2 small{font-weight:normal;color:#666}
#epoch{width:320px}.figures{color:#444;font-variant-numeric:tabular-nums;flex-basis:100%;min-height:1.3em}
main{display:grid;grid-template-columns:1fr 300px 1fr;gap:8px;padding:8px}
.panel{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px;min-width:0}
.wide{grid-column:span 2}svg{width:100%;height:auto;display:block}
#boundary-box{position:relative;width:240px;height:240px;margin:auto}
#boundary-box canvas,#boundary-box svg{position:absolute;left:0;top:0;width:240px;height:240px}
.point{cursor:pointer;stroke:#000;stroke-width:.5}
.point.selected{stroke:#000;stroke-width:2.5}
.marker{stroke:#222;stroke-width:1;stroke-dasharray:3 2}
.axis{stroke:#999;stroke-width:.6;fill:none}.grid{stroke:#eee;stroke-width:.6}.tick{font-size:9px;fill:#666}
.legend{font-size:9px}.pos{color:#1f6fb4}.neg{color:#d62728}
.node{stroke:#555;stroke-width:.8}.node.current{stroke:#d62728;stroke-width:4}
.node.parent{stroke:#ff7f0e;stroke-width:3}.edge{fill:none}
.edge.hot{stroke:#ff7f0e !important;opacity:1 !important}
.key{font-size:11px;color:#444;margin:2px 0;display:flex;align-items:center;gap:3px}.key svg{width:14px;height:14px;flex:none}
.key-current{fill:#fff;stroke:#d62728;stroke-width:3}.key-parent{fill:#fff;stroke:#ff7f0e;stroke-width:2.5}
.controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:4px 0}
#point{width:60px}#step{flex:1;min-width:80px}
#step-text{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;
 background:#f3f3f3;padding:4px;min-height:3em;overflow-wrap:anywhere}
#updates{font-family:ui-monospace,monospace;font-size:11px;border-collapse:collapse;width:100%}
#updates td,#updates th{border-bottom:1px solid #eee;padding:1px 4px;text-align:left}
.nodeval{font-size:8px;fill:#222;pointer-events:none;paint-order:stroke;stroke:#fff;stroke-width:2.6px;stroke-linejoin:round}
"""

_SCRIPT = r"""
(function(){
"use strict";
const D = JSON.parse(document.getElementById("training-data").textContent);
const NS = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, parent) => { const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; };
const fmt = (x) => x === null || x === undefined ? "?" : (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3))
  ? x.toExponential(2) : (+x.toPrecision(4)).toString();
const COLORS = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];
const CLASS = ["#d95f02","#1f6fb4","#1b9e77","#7570b3","#e7298a","#66a61e","#e6ab02","#a6761d","#666666","#e31a1c"];
const L = D.sizes.length - 1;  // layers with neurons
const state = { snap: D.epochs.length - 1, point: 0, step: 0, steps: [], playing: null };
{ // start on the point with the largest loss at the last epoch (its backward pass is not all 0)
  const ls = D.point_losses[D.epochs.length - 1] || [];
  ls.forEach((v, i) => { if (v !== null && v > (ls[state.point] || 0)) state.point = i; }); }

// ------------------------------------------------------------------ the model in the page
function layerWeights(snap, k) {  // [[w..., b] per neuron] of layer k
  const W = D.weights[snap]; let off = 0;
  for (let j = 0; j < k; j++) off += D.sizes[j + 1] * (D.sizes[j] + 1);
  const nin = D.sizes[k], rows = [];
  for (let i = 0; i < D.sizes[k + 1]; i++) { rows.push(W.slice(off, off + nin + 1)); off += nin + 1; }
  return rows;
}
const ACT = { relu: (z) => z > 0 ? z : 0, tanh: Math.tanh,
  sigmoid: (z) => z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)), linear: (z) => z };
const DACT = { relu: (z, a) => z > 0 ? 1 : 0, tanh: (z, a) => 1 - a * a, sigmoid: (z, a) => a * (1 - a),
  linear: () => 1 };
function forward(snap, x) {
  const hs = [x.slice()], zs = [];
  for (let k = 0; k < L; k++) {
    const rows = layerWeights(snap, k), h = hs[k], act = ACT[D.acts[k]] || ACT.linear;
    const z = rows.map((r) => { let s = r[h.length]; for (let j = 0; j < h.length; j++) s += r[j] * h[j]; return s; });
    zs.push(z); hs.push(z.map(act));
  }
  return { hs, zs };
}
function nodeName(k, i, part) {
  const lin = D.acts[k] === "linear";
  return "L" + k + ".n" + i + "." + (part === "z" && !lin ? "z" : "out");
}
function inputName(k, j) { return k === 0 ? "x" + j : "L" + (k - 1) + ".n" + j + ".out"; }
// The backward pass of one point, one node at a time, as the engine does it.
function backward(snap, p) {
  const x = D.points[p], f = forward(snap, x), steps = [];
  const gOut = D.out_grads[snap][p] || [], loss = D.point_losses[snap][p];
  const hg = f.hs.map((h) => h.map(() => 0)), zg = f.zs.map((z) => z.map(() => 0));
  const last = L - 1;
  gOut.forEach((g, i) => { hg[L][i] = g; });
  steps.push({ node: ["loss"], parents: gOut.map((_, i) => [last, i]),
    text: "loss = " + D.loss_name + "(out, target) = " + fmt(loss) + "\n" +
      gOut.map((g, i) => nodeName(last, i, "out") + ".grad += d loss/d out = " + fmt(g)).join("\n"),
    rows: gOut.map((g, i) => [nodeName(last, i, "out"), "+= " + fmt(g), "d loss / d out"]) });
  for (let k = last; k >= 0; k--) {
    const rows = layerWeights(snap, k), act = D.acts[k], lin = act === "linear";
    for (let i = 0; i < rows.length; i++) {
      const z = f.zs[k][i], a = f.hs[k + 1][i];
      if (!lin) {
        const d = (DACT[act] || DACT.linear)(z, a), g = hg[k + 1][i] * d;
        zg[k][i] += g;
        steps.push({ node: [k, i], parents: [[k, i]], part: "out",
          text: nodeName(k, i, "out") + " = " + act + "(" + nodeName(k, i, "z") + "), grad " + fmt(hg[k + 1][i]) +
            "\n" + nodeName(k, i, "z") + ".grad += " + fmt(hg[k + 1][i]) + " * " + act + "'(" + fmt(z) + ") = " +
            fmt(hg[k + 1][i]) + " * " + fmt(d) + " = " + fmt(g),
          rows: [[nodeName(k, i, "z"), "+= " + fmt(g), fmt(hg[k + 1][i]) + " * " + fmt(d)]] });
      } else { zg[k][i] += hg[k + 1][i]; }
      const g = zg[k][i], h = f.hs[k], ups = [];
      for (let j = 0; j < h.length; j++) {
        ups.push(["L" + k + ".n" + i + ".w" + j, g * h[j], fmt(g) + " * " + fmt(h[j])]);
        const c = g * rows[i][j]; hg[k][j] += c;
        ups.push([inputName(k, j), c, fmt(g) + " * " + fmt(rows[i][j])]);
      }
      ups.push(["L" + k + ".n" + i + ".b", g, fmt(g) + " * 1"]);
      ups.sort((u, v) => Math.abs(v[1]) - Math.abs(u[1]));
      const top = ups.slice(0, 6), more = ups.length - top.length;
      steps.push({ node: [k, i], parents: h.map((_, j) => [k - 1, j]), part: "z",
        text: nodeName(k, i, "z") + " = dot(w, x) + b, grad " + fmt(g) + "\n" +
          top.map((u) => u[0] + ".grad += " + u[2] + " = " + fmt(u[1])).join("\n") +
          (more > 0 ? "\n... " + more + " more" : ""),
        rows: top.map((u) => [u[0], "+= " + fmt(u[1]), u[2]]).concat(more > 0 ? [["... " + more + " more", "", ""]] : []) });
    }
  }
  return { steps, zg, f };
}

// ------------------------------------------------------------------ curves
function scaleLog(vals) {
  const pos = vals.filter((v) => v !== null && v > 0);
  if (!pos.length) return null;
  let lo = Math.log10(Math.min(...pos)), hi = Math.log10(Math.max(...pos));
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  return { lo, hi };
}
// Round ticks for a log axis from 10^lo to 10^hi: decades (1, 0.1, 0.01, 1e-5), else
// 1-2-5 values, else a few round values of the linear scale. Over a decade or more the
// axis is widened to the round values around it. Returns { lo, hi, ticks } in log10 units.
function logTicks(lo, hi) {
  const log = Math.log10, up = (v, ms) => { const d = Math.floor(log(v) + 1e-9);
    for (const m of ms.concat([10])) if (m * Math.pow(10, d) >= v * (1 - 1e-9)) return m * Math.pow(10, d); };
  const down = (v, ms) => { const d = Math.floor(log(v) + 1e-9);
    for (const m of ms.slice().reverse()) if (m * Math.pow(10, d) <= v * (1 + 1e-9)) return m * Math.pow(10, d);
    return Math.pow(10, d); };
  if (hi - lo >= 1) {
    const a = Math.pow(10, lo), b = Math.pow(10, hi);
    lo = log(down(a, [1, 2, 5])); hi = log(up(b, [1, 2, 5]));
    const decades = [];
    for (let d = Math.ceil(lo - 1e-9); d <= Math.floor(hi + 1e-9); d++) decades.push(d);
    if (decades.length >= 2) { const step = Math.ceil(decades.length / 6);
      return { lo, hi, ticks: decades.filter((d) => (decades[decades.length - 1] - d) % step === 0) }; }
    const ticks = [];
    for (let d = Math.floor(lo) ; d <= Math.ceil(hi); d++) [1, 2, 5].forEach((m) => {
      const t = log(m) + d; if (t >= lo - 1e-9 && t <= hi + 1e-9) ticks.push(t); });
    return { lo, hi, ticks };
  }
  const a = Math.pow(10, lo), b = Math.pow(10, hi), raw = (b - a) / 3, p = Math.pow(10, Math.floor(log(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || raw, ticks = [];
  for (let v = Math.ceil(a / step - 1e-9) * step; v <= b * (1 + 1e-12); v += step) ticks.push(log(+v.toPrecision(12)));
  return { lo, hi, ticks };
}
const tickFmt = (v) => { v = +v.toPrecision(6);
  return (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4)) ? v.toExponential().replace("e+", "e") : String(v); };
function chart(svg, box, series, logy, title) {
  // series: [{name, values (per epoch 1..n), color, dash}]
  const n = D.nepochs, [x0, y0, w, h] = box;
  el("rect", { x: x0, y: y0, width: w, height: h, class: "axis" }, svg);
  el("text", { x: x0 + 2, y: y0 - 3, class: "tick" }, svg).textContent = title;
  const all = [].concat(...series.map((s) => s.values)).filter((v) => v !== null && isFinite(v));
  let lo, hi, tr = (v) => v;
  let ticks;
  if (logy) { const s = scaleLog(all); if (!s) return null; const t = logTicks(s.lo, s.hi);
    lo = t.lo; hi = t.hi; ticks = t.ticks; tr = (v) => Math.log10(Math.max(v, 1e-300)); }
  else { lo = Math.min(0, ...all); hi = Math.max(1, ...all); ticks = [lo, (lo + hi) / 2, hi]; }
  const X = (e) => x0 + w * (n > 0 ? e / n : 0), Y = (v) => y0 + h - h * (tr(v) - lo) / (hi - lo || 1);
  ticks.forEach((t) => { const ty = y0 + h - h * (t - lo) / (hi - lo || 1);
    if (logy) el("line", { x1: x0, x2: x0 + w, y1: ty, y2: ty, class: "grid" }, svg);
    el("text", { x: x0 - 3, y: ty + 3, class: "tick", "text-anchor": "end" }, svg).textContent =
      logy ? tickFmt(Math.pow(10, t)) : fmt(t); });
  el("text", { x: x0 + w, y: y0 + h + 10, class: "tick", "text-anchor": "end" }, svg).textContent = "epoch " + n;
  series.forEach((s, si) => {
    const pts = s.values.map((v, i) => v === null || !isFinite(v) || (logy && v <= 0) ? null : X(i + 1).toFixed(1) + "," + Y(v).toFixed(1))
      .filter((p) => p !== null);
    el("polyline", { points: pts.join(" "), fill: "none", stroke: s.color, "stroke-width": 1.4,
      "stroke-dasharray": s.dash || "", class: "series", "data-name": s.name }, svg);
    if (s.legend !== false) el("text", { x: x0 + w + 5, y: y0 + 8 + 10 * si, class: "legend", fill: s.color }, svg).textContent = s.name;
  });
  return el("line", { x1: X(0), x2: X(0), y1: y0, y2: y0 + h, class: "marker" }, svg);
}
const markers = [];
function drawCurves() {
  const svg = $("curves"), H = D.history;
  const lossKeys = Object.keys(H).filter((k) => k === "loss" || k === "val_loss");
  const other = Object.keys(H).filter((k) => lossKeys.indexOf(k) < 0);
  markers.push(chart(svg, [40, 14, 290, 120], lossKeys.map((k, i) => ({ name: k, values: H[k], color: COLORS[i],
    dash: k.startsWith("val_") ? "4 2" : "" })), true, "loss (log scale)"));
  if (other.length) markers.push(chart(svg, [40, 160, 290, 70], other.map((k, i) => ({ name: k, values: H[k],
    color: COLORS[i + 2], dash: k.startsWith("val_") ? "4 2" : "" })), false, "metrics"));
}
function drawHealth() {
  const svg = $("health");
  markers.push(chart(svg, [48, 14, 290, 130], D.layers.map((name, i) => ({ name: name + " (" + (D.acts[i] || "") + ")",
    values: D.grad_norm[name], color: COLORS[i % 10] })), true, "gradient L2 norm"));
  const frac = [];
  D.layers.forEach((name, i) => {
    if (D.dead[name] && D.dead[name].some((v) => v !== null)) frac.push({ name: name + " dead", values: D.dead[name], color: COLORS[i % 10], legend: false });
    if (D.saturated[name] && D.saturated[name].some((v) => v !== null)) frac.push({ name: name + " saturated", values: D.saturated[name], color: COLORS[i % 10], dash: "3 2", legend: false });
  });
  markers.push(chart(svg, [48, 172, 290, 58], frac, false, "fraction of units dead (relu, solid) / saturated (dashed)"));
  if (!frac.length) el("text", { x: 56, y: 205, class: "tick" }, svg).textContent = "no relu, tanh or sigmoid layer";
}
function moveMarkers() {
  const e = D.epochs[state.snap], n = D.nepochs;
  document.querySelectorAll("line.marker").forEach((m) => {
    const x0 = +m.dataset.x0, w = +m.dataset.w, x = x0 + w * (n > 0 ? e / n : 0);
    m.setAttribute("x1", x); m.setAttribute("x2", x); });
}

// ------------------------------------------------------------------ boundary
const B = { size: 240 };
function toPx(p) { const [a, b, c, d] = D.extent; return [B.size * (p[0] - a) / (b - a), B.size * (d - p[1]) / (d - c)]; }
function drawBoundary() {
  if (!D.grid) return;
  const cv = $("boundary"), ctx = cv.getContext("2d"), g = D.grid, s = D.boundary[state.snap], c = B.size / g;
  const n = 61;
  for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) {
    const ch = s.charCodeAt(j * g + i);
    const q = ch <= 57 ? ch - 48 : ch <= 90 ? ch - 55 : ch - 61;
    if (D.multi) { ctx.fillStyle = CLASS[q % 10] + "66"; }
    else { const t = q / n * 2 - 1, a = Math.abs(t);
      ctx.fillStyle = t > 0 ? "rgba(31,111,180," + (0.12 + 0.5 * a) + ")" : "rgba(217,95,2," + (0.12 + 0.5 * a) + ")"; }
    ctx.clearRect(i * c, j * c, c + 1, c + 1); ctx.fillRect(i * c, j * c, c + 1, c + 1);
  }
  ctx.strokeStyle = "#333"; ctx.lineWidth = 1;
  if (!D.multi) {  // the boundary line itself: where the sign changes
    ctx.beginPath();
    const sign = (i, j) => { const ch = s.charCodeAt(j * g + i); const q = ch <= 57 ? ch - 48 : ch <= 90 ? ch - 55 : ch - 61; return q > 30; };
    for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) {
      if (i + 1 < g && sign(i, j) !== sign(i + 1, j)) { ctx.moveTo((i + 1) * c, j * c); ctx.lineTo((i + 1) * c, (j + 1) * c); }
      if (j + 1 < g && sign(i, j) !== sign(i, j + 1)) { ctx.moveTo(i * c, (j + 1) * c); ctx.lineTo((i + 1) * c, (j + 1) * c); }
    }
    ctx.stroke();
  }
}
function drawPoints() {
  const svg = $("points");
  if (!D.grid) { $("boundary-box").hidden = true; $("no-boundary").hidden = false; return; }
  D.points.forEach((p, i) => {
    const [x, y] = toPx(p);
    const c = el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 3.6, class: "point", fill: CLASS[D.classes[i] % 10],
      "data-index": i }, svg);
    el("title", {}, c).textContent = "point " + i + ": (" + p.map(fmt).join(", ") + "), target " + JSON.stringify(D.targets[i]);
    c.addEventListener("click", (ev) => { ev.stopPropagation(); select(i); });
  });
}

// ------------------------------------------------------------------ network
const N = { nodes: [], edges: [], vals: [] };
function drawNetwork() {
  // padding: a node's outline (4 px when current) and its value label stay inside the box
  const svg = $("network"), W = 820, H = 330, cols = D.sizes.length, top = 22, bottom = 26;
  const xs = D.sizes.map((_, k) => 30 + (W - 100) * k / (cols - 1));
  const pos = D.sizes.map((n, k) => { const r = Math.max(2, Math.min(11, (H - top - bottom) / (2.6 * n)));
    return Array.from({ length: n }, (_, i) => [xs[k], top + (H - top - bottom) * (n === 1 ? 0.5 : i / (n - 1)), r]); });
  const gE = el("g", {}, svg), gN = el("g", {}, svg);
  for (let k = 0; k < L; k++) {
    const row = [];
    for (let i = 0; i < D.sizes[k + 1]; i++) { const r = [];
      for (let j = 0; j < D.sizes[k]; j++) { const [x1, y1] = pos[k][j], [x2, y2] = pos[k + 1][i];
        r.push(el("line", { x1, y1, x2, y2, class: "edge" }, gE)); }
      row.push(r); }
    N.edges.push(row);
  }
  pos.forEach((col, k) => { const nodes = [], vals = [];
    col.forEach(([x, y, r], i) => {
      const c = el("circle", { cx: x, cy: y, r, class: "node", "data-layer": k, "data-index": i,
        "data-name": k === 0 ? "x" + i : "L" + (k - 1) + ".n" + i }, gN);
      el("title", {}, c);
      nodes.push(c);
      // the value beside the node (above-right, white halo), where the column has room
      const gap = col.length > 1 ? (H - top - bottom) / (col.length - 1) : H;
      if (gap >= 18) { const t = el("text", { x: x + r + 1, y: y - r * 0.5, class: "nodeval" }, gN); vals.push(t); }
      else vals.push(null);
    });
    el("text", { x: xs[k], y: H - 3, class: "tick", "text-anchor": "middle" }, gN).textContent =
      k === 0 ? "inputs" : "L" + (k - 1) + " " + D.acts[k - 1];
    N.nodes.push(nodes); N.vals.push(vals); });
  let m = 0; D.weights.forEach((w) => w.forEach((v) => { if (v !== null && Math.abs(v) > m) m = Math.abs(v); }));
  N.wmax = m || 1;
}
function updateEdges() {
  for (let k = 0; k < L; k++) { const rows = layerWeights(state.snap, k);
    rows.forEach((r, i) => r.slice(0, -1).forEach((w, j) => { const e = N.edges[k][i][j];
      e.setAttribute("stroke", w >= 0 ? "#1f6fb4" : "#d62728");
      e.setAttribute("stroke-width", (0.15 + 4 * Math.abs(w) / N.wmax).toFixed(2));
      e.setAttribute("opacity", (0.15 + 0.7 * Math.min(1, Math.abs(w) / N.wmax * 2)).toFixed(2)); })); }
}
function updateNodes(f) {
  f.hs.forEach((h, k) => { const m = Math.max(1e-12, ...h.map(Math.abs));
    h.forEach((v, i) => { const a = Math.min(1, Math.abs(v) / m), node = N.nodes[k][i];
      node.setAttribute("fill", v >= 0 ? "rgba(31,111,180," + (0.05 + 0.9 * a).toFixed(2) + ")" : "rgba(217,95,2," + (0.05 + 0.9 * a).toFixed(2) + ")");
      node.firstChild.textContent = node.dataset.name + (k > 0 ? ": z " + fmt(f.zs[k - 1][i]) + ", out " : " = ") + fmt(v);
      if (N.vals[k][i]) N.vals[k][i].textContent = fmt(v); }); });
}

// ------------------------------------------------------------------ stepping
function showStep() {
  const st = state.steps[state.step];
  document.querySelectorAll(".node.current,.node.parent").forEach((n) => n.classList.remove("current", "parent"));
  document.querySelectorAll(".edge.hot").forEach((e) => e.classList.remove("hot"));
  if (!st) return;
  $("step").max = state.steps.length - 1; $("step").value = state.step;
  $("step-count").textContent = "step " + (state.step + 1) + " of " + state.steps.length + "  (arrow keys: previous / next)";
  $("step-text").textContent = st.text;
  if (st.node[0] !== "loss") {
    const [k, i] = st.node; N.nodes[k + 1][i].classList.add("current");
    if (st.part === "z") st.parents.forEach(([pk, j]) => { N.nodes[pk + 1][j].classList.add("parent"); N.edges[k][i][j].classList.add("hot"); });
  } else st.parents.forEach(([pk, j]) => N.nodes[pk + 1][j].classList.add("parent"));
  const tb = $("updates").tBodies[0]; tb.textContent = "";
  st.rows.forEach((r) => { const tr = document.createElement("tr");
    r.forEach((c) => { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }); tb.appendChild(tr); });
}
function go(step) { state.step = Math.max(0, Math.min(state.steps.length - 1, step)); showStep(); }
const UNKNOWN = D.acts.filter((a) => !(a in ACT));
function refreshPoint() {
  if (UNKNOWN.length) {  // the page computes a point's passes for the four classic activations only
    $("point-info").textContent = "point " + state.point + ": this page steps through relu, tanh, sigmoid and linear layers; this network has " + UNKNOWN.join(", ");
    return;
  }
  const p = state.point, b = backward(state.snap, p);
  state.steps = b.steps; state.step = Math.min(state.step, b.steps.length - 1);
  updateNodes(b.f);
  const out = b.f.hs[L];
  $("point-info").textContent = "point " + p + " (" + D.points[p].map(fmt).join(", ") + "), target " +
    JSON.stringify(D.targets[p]) + ": out " + out.map(fmt).join(", ") + ", loss " + fmt(D.point_losses[state.snap][p]) +
    " at epoch " + D.epochs[state.snap];
  document.querySelectorAll(".point.selected").forEach((c) => c.classList.remove("selected"));
  const c = document.querySelector('.point[data-index="' + p + '"]'); if (c) { c.classList.add("selected"); c.parentNode.appendChild(c); }
  showStep();
}
function select(p) { state.point = p; state.step = 0; $("point").value = p; refreshPoint(); }

// ------------------------------------------------------------------ epoch
function setSnap(i) {
  state.snap = Math.max(0, Math.min(D.epochs.length - 1, i));
  $("epoch").value = state.snap;
  const e = D.epochs[state.snap], H = D.history;
  $("epoch-label").textContent = "epoch " + e + " / " + D.nepochs;
  const A = D.after || {}, after = Object.keys(A).map((k) => k + " " + fmt(A[k][state.snap])).join("   ");
  $("figures").textContent = e > 0 ? "running: " +
    Object.keys(H).map((k) => k + " " + fmt(H[k][e - 1])).join("   ") +
    (after ? "   |   after epoch " + e + ": " + after : "") +
    "   |   " + D.layers.map((l) => l + " grad " + fmt(D.grad_norm[l][e - 1])).join("  ")
    : "before training" + (after ? ": " + after : "");
  moveMarkers(); drawBoundary(); updateEdges(); refreshPoint();
}
function play() {
  if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").innerHTML = "&#9654; play"; return; }
  if (state.snap >= D.epochs.length - 1) setSnap(0);
  $("play").innerHTML = "&#10074;&#10074; pause";
  state.playing = setInterval(() => { if (state.snap >= D.epochs.length - 1) { play(); return; } setSnap(state.snap + 1); },
    Math.max(40, 4000 / D.epochs.length));
}

drawCurves(); drawHealth();
// remember each marker's chart box (x0, w) from the rect drawn just before it
document.querySelectorAll("svg").forEach((svg) => { let box = null;
  Array.from(svg.children).forEach((c) => { if (c.matches("rect.axis")) box = c;
    if (c.matches("line.marker") && box) { c.dataset.x0 = box.getAttribute("x"); c.dataset.w = box.getAttribute("width"); } }); });
drawPoints(); drawNetwork();
$("epoch").max = D.epochs.length - 1;
$("point").max = D.points.length - 1;
$("epoch").addEventListener("input", () => setSnap(+$("epoch").value));
$("play").addEventListener("click", play);
$("prev").addEventListener("click", () => go(state.step - 1));
$("next").addEventListener("click", () => go(state.step + 1));
$("step").addEventListener("input", () => go(+$("step").value));
$("point").addEventListener("change", () => { const v = Math.round(+$("point").value);
  if (v >= 0 && v < D.points.length) select(v); });
document.addEventListener("keydown", (ev) => {
  if (ev.target && ev.target.tagName === "INPUT") return;
  if (ev.key === "ArrowRight") { go(state.step + 1); ev.preventDefault(); }
  else if (ev.key === "ArrowLeft") { go(state.step - 1); ev.preventDefault(); }
  else if (ev.key === "Home") setSnap(0); else if (ev.key === "End") setSnap(D.epochs.length - 1);
  else if (ev.key === " ") { play(); ev.preventDefault(); }
});
$("point").value = state.point;
setSnap(state.snap);
window.trainingPage = { data: D, state, setSnap, select, go, backward, forward, logTicks,
  zGrads: (snap, p) => backward(snap, p).zg };
})();
"""
