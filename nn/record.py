"""Recording training: ``fit(..., record=True)`` or ``fit(..., record=Recorder(...))``.

A :class:`Recorder` keeps, for every epoch ``e`` (1-based, the model *after* epoch ``e``'s
updates):

- the history's figures (``loss``, metrics and their ``val_`` versions: ``recorder.history``);
- per layer (``recorder.layers``: ``L0``, ``L1``, ...): the gradient's L2 norm, the mean over
  the epoch's steps of ``sqrt(sum(grad**2))`` over the layer's parameters, taken after
  ``backward`` and before clipping (``grad_norm``); the weights' L2 norm after the epoch
  (``weight_norm``);
- per layer, the fraction of **dead** units (``relu`` whose pre-activation is ``<= 0`` on every
  recorded row, so the output and the gradient are 0) and of **saturated** units (``tanh`` or
  ``sigmoid`` whose derivative is below ``1e-3`` on every recorded row); ``None`` for layers
  whose activation is neither. The rows are the first ``max_rows`` training rows;
- parameter snapshots (``recorder.snapshots``: epoch -> list of floats in
  ``model.parameters()`` order, with ``recorder.parameter_names``). Epoch 0 is the model
  before training. ``snapshots="auto"`` keeps every epoch when ``(epochs + 1) *
  num_parameters <= max_numbers`` (200 000 numbers: the demo's 2-16-16-1 network keeps all
  101), otherwise about ``max_numbers / num_parameters`` (at least 2) evenly spaced epochs;
  ``"all"`` keeps every epoch; a list of ints keeps those epochs. The last epoch trained is
  always kept, also when training stops early.

Recording off (the default) adds one ``is None`` test per step to ``fit``.

>>> from nn import MLP, fit
>>> model = MLP(2, [3, 1], seed=0)
>>> history = fit(model, [[0.0, 1.0], [1.0, 0.0]], [1, -1], loss="hinge", epochs=3,
...               progress=False, record=True)
>>> rec = history.record
>>> rec.layers, sorted(rec.snapshots), len(rec.grad_norm["L0"])
(['L0', 'L1'], [0, 1, 2, 3], 3)
>>> rec.snapshots[3] == [p.data for p in model.parameters()]
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["History", "LiveView", "Recorder"]

SATURATED = 1e-3  # |derivative| below this is a saturated tanh/sigmoid unit
MAX_NUMBERS = 200_000


class History(dict):  # type: ignore[type-arg]
    """What ``fit`` returns: a ``dict`` of per-epoch lists, plus ``.record`` (the
    :class:`Recorder` when ``record=`` was given, else ``None``) and ``.live`` (the
    :class:`LiveView` of ``live=True`` in a notebook, else ``None``)."""

    record: Recorder | None = None
    live: LiveView | None = None


def _layer_groups(model: Any) -> list[tuple[str, list[Any], Any]]:
    """``(name, parameters, layer or None)`` per layer: ``model.layers`` when there are
    layers, else one group ``all`` with every parameter."""
    layers = getattr(model, "layers", None)
    if isinstance(layers, (list, tuple)) and layers and all(
        hasattr(layer, "parameters") for layer in layers
    ):
        return [(f"L{i}", list(layer.parameters()), layer) for i, layer in enumerate(layers)]
    return [("all", list(model.parameters()), None)]


def _activation(layer: Any) -> str | None:
    neurons = getattr(layer, "neurons", None)
    if not neurons:
        return None
    # An activation given as a function has no name to record (and need not be hashable).
    names = {a if isinstance(a := getattr(n, "activation", None), str) else None
             for n in neurons}
    return names.pop() if len(names) == 1 else None


class Recorder:
    """Keeps per-epoch training figures, gradient health and parameter snapshots.

    ``snapshots``: ``"auto"``, ``"all"`` or a list of epochs (0 = before training);
    ``max_numbers``: the budget of ``"auto"``; ``max_rows``: how many training rows the
    dead/saturated fractions look at (the first ones, so the figures are deterministic).
    Pass it as ``fit(..., record=recorder)``, or ``record=True`` for the defaults.
    """

    def __init__(
        self,
        snapshots: str | Sequence[int] = "auto",
        *,
        max_numbers: int = MAX_NUMBERS,
        max_rows: int = 256,
    ) -> None:
        if isinstance(snapshots, str):
            if snapshots not in ("auto", "all"):
                raise ValueError(
                    f"snapshots must be 'auto', 'all' or a list of epochs, got {snapshots!r}"
                )
        else:
            try:
                wanted = [int(e) for e in snapshots]
            except (TypeError, ValueError):
                raise TypeError(
                    f"snapshots must be 'auto', 'all' or a list of epochs, got {snapshots!r}"
                ) from None
            if any(e < 0 for e in wanted) or any(
                isinstance(e, bool) or not isinstance(e, int) for e in snapshots
            ):
                raise ValueError(f"snapshot epochs must be ints >= 0, got {snapshots!r}")
        for what, v in (("max_numbers", max_numbers), ("max_rows", max_rows)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{what} must be a positive int, got {v!r}")
        self._snapshot_rule = snapshots
        self.max_numbers = max_numbers
        self.max_rows = max_rows
        self.layers: list[str] = []
        self.activations: dict[str, str | None] = {}
        self.grad_norm: dict[str, list[float]] = {}
        self.weight_norm: dict[str, list[float]] = {}
        self.dead: dict[str, list[float | None]] = {}
        self.saturated: dict[str, list[float | None]] = {}
        self.snapshots: dict[int, list[float]] = {}
        self.parameter_names: list[str] = []
        self.history: dict[str, list[float]] = {}
        self.epochs = 0  # epochs recorded so far
        self.loss: Any = None  # the loss function fit trained with
        self._planned: set[int] = set()
        self._params: list[Any] = []
        self._groups: list[tuple[str, list[Any], Any]] = []
        self._sums: list[float] = []
        self._steps = 0
        self._rows: list[list[float]] = []

    def __repr__(self) -> str:
        return (f"Recorder({self.epochs} epochs, layers {self.layers}, "
                f"{len(self.snapshots)} snapshots)")

    # ------------------------------------------------------------ called by fit
    def start(self, model: Any, rows: list[list[float]], epochs: int,
              history: dict[str, list[float]]) -> None:
        """Begin recording a run of ``epochs`` epochs of ``model`` on ``rows``."""
        self._params = list(model.parameters())
        self.parameter_names = [name for name, _ in model.named_parameters()]
        self._groups = _layer_groups(model)
        self.layers = [name for name, _, _ in self._groups]
        self.activations = {name: _activation(layer) if layer is not None else None
                            for name, _, layer in self._groups}
        for store in (self.grad_norm, self.weight_norm, self.dead, self.saturated):
            store.clear()
            for name in self.layers:
                store[name] = []
        self.snapshots = {}
        self.history = history
        self.epochs = 0
        self._rows = rows[: self.max_rows]
        self._planned = self._plan(epochs, len(self._params))
        self._sums = [0.0] * len(self._groups)
        self._steps = 0
        if 0 in self._planned:
            self._snapshot(0)

    def _plan(self, epochs: int, nparams: int) -> set[int]:
        rule = self._snapshot_rule
        if rule == "all" or (rule == "auto" and (epochs + 1) * max(nparams, 1)
                             <= self.max_numbers):
            return set(range(epochs + 1))
        if rule == "auto":
            k = max(2, self.max_numbers // max(nparams, 1))
            return {round(i * epochs / (k - 1)) for i in range(k)}
        return {int(e) for e in rule}

    def after_backward(self) -> None:
        """Add this step's per-layer gradient norms (before clipping and the update)."""
        sums = self._sums
        for i, (_, params, _) in enumerate(self._groups):
            s = 0.0
            for p in params:
                g = p.grad
                s += g * g
            sums[i] += math.sqrt(s)
        self._steps += 1

    def end_epoch(self, epoch: int) -> None:
        """Record epoch ``epoch`` (0-based, as ``fit`` counts) after its updates."""
        e = epoch + 1
        steps = max(self._steps, 1)
        for i, (name, params, _layer) in enumerate(self._groups):
            self.grad_norm[name].append(self._sums[i] / steps)
            self.weight_norm[name].append(math.sqrt(sum(p.data * p.data for p in params)))
        self._sums = [0.0] * len(self._groups)
        self._steps = 0
        self._health()
        self.epochs = e
        if e in self._planned:
            self._snapshot(e)

    def finish(self) -> None:
        """Training stopped: keep the last epoch's parameters too."""
        if self.epochs not in self.snapshots:
            self._snapshot(self.epochs)

    # ------------------------------------------------------------ internals
    def _snapshot(self, epoch: int) -> None:
        self.snapshots[epoch] = [float(p.data) for p in self._params]

    def _health(self) -> None:
        """Dead and saturated fractions per layer, on the recorded rows."""
        h = self._rows
        for name, _, layer in self._groups:
            neurons = getattr(layer, "neurons", None) if layer is not None else None
            act = self.activations.get(name)
            if not neurons or not h or not hasattr(neurons[0], "w"):
                self.dead[name].append(None)
                self.saturated[name].append(None)
                continue
            zs = []
            for n in neurons:
                ws, b = [w.data for w in n.w], n.b.data
                zs.append([sum(map(float.__mul__, ws, x), b) for x in h])
            if act == "relu":
                dead = sum(all(z <= 0.0 for z in col) for col in zs) / len(neurons)
                self.dead[name].append(dead)
                self.saturated[name].append(None)
            elif act in ("tanh", "sigmoid"):
                deriv = _tanh_deriv if act == "tanh" else _sigmoid_deriv
                sat = sum(all(deriv(z) < SATURATED for z in col) for col in zs) / len(neurons)
                self.dead[name].append(None)
                self.saturated[name].append(sat)
            else:
                self.dead[name].append(None)
                self.saturated[name].append(None)
            outs = []
            for n, col in zip(neurons, zs, strict=True):  # the neuron's own activation
                f = getattr(n, "_act_float", None)
                outs.append(col if f is None else [f(z) for z in col])
            h = [list(row) for row in zip(*outs, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        """Everything recorded, as plain JSON-able data."""
        return {
            "epochs": self.epochs,
            "layers": list(self.layers),
            "activations": dict(self.activations),
            "history": {k: list(v) for k, v in self.history.items()},
            "grad_norm": self.grad_norm,
            "weight_norm": self.weight_norm,
            "dead": self.dead,
            "saturated": self.saturated,
            "parameter_names": list(self.parameter_names),
            "snapshots": {str(k): v for k, v in sorted(self.snapshots.items())},
        }


def _tanh_deriv(z: float) -> float:
    t = math.tanh(z)
    return 1.0 - t * t


def _sigmoid_deriv(z: float) -> float:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def make_recorder(record: Any) -> Recorder | None:
    """``fit``'s ``record=``: ``False``/``None`` -> no recorder, ``True`` -> a default one."""
    if record is None or record is False:
        return None
    if record is True:
        return Recorder()
    if isinstance(record, Recorder):
        return record
    raise TypeError(f"record must be True, False or a Recorder, got {type(record).__name__}")


class LiveView:
    """``fit(..., live=True)`` in Jupyter: one output updated in place after every epoch
    with the loss curve and, for 2-D inputs, the decision boundary (an inline SVG shown with
    IPython's ``display(..., display_id=True)`` and ``.update``)."""

    def __init__(self, model: Any, rows: list[list[float]], targets: list[Any],
                 history: dict[str, list[float]], every: int = 1) -> None:
        from IPython.display import HTML, display

        self._HTML = HTML
        self.model = model
        self.rows = rows
        self.targets = targets
        self.history = history
        self.every = every
        self.updates = 0
        self.handle = display(HTML(self.svg()), display_id=True)

    def __call__(self, epoch: int) -> None:
        if (epoch + 1) % self.every == 0:
            self.update()

    def update(self) -> None:
        """Redraw the output with the history so far."""
        self.handle.update(self._HTML(self.svg()))
        self.updates += 1

    def svg(self) -> str:
        """The current picture as SVG text."""
        return live_svg(self.model, self.rows, self.targets, self.history)


def in_notebook() -> bool:
    """Whether we run in a Jupyter kernel (IPython's ZMQ shell)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


# --------------------------------------------------------------------------- live picture
def _label_of(out: Any) -> int:
    if isinstance(out, (list, tuple)):
        if len(out) == 1:
            return 1 if out[0] > 0 else 0
        return max(range(len(out)), key=out.__getitem__)
    return 1 if out > 0 else 0


def _target_class(t: Any) -> int:
    if isinstance(t, (list, tuple)):
        if len(t) == 1:
            return 1 if t[0] > 0 else 0
        return max(range(len(t)), key=t.__getitem__)
    return 1 if t > 0 else 0


PALETTE = ("#d95f02", "#1f6fb4", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
           "#a6761d", "#666666", "#e31a1c")
FILL = ("#f4c7a1", "#a9c8e8", "#a8dcc9", "#cbc8e6", "#f5bcd9", "#c9e3a8", "#f5dd99",
        "#dcc6a0", "#cccccc", "#f6a9a9")


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def live_svg(model: Any, rows: list[list[float]], targets: list[Any],
             history: dict[str, list[float]], grid: int = 30) -> str:
    """The loss curve so far and, for 2-D inputs with a ``predict_one``, the decision
    boundary with the data points, as one SVG (what ``fit(..., live=True)`` shows)."""
    w, h, pad = 300, 220, 30
    parts = []
    loss = [v for v in history.get("loss", []) if math.isfinite(v)]
    epochs = len(history.get("loss", []))
    parts.append(f'<g><text x="{pad}" y="16" font-size="12">loss, epoch {epochs}'
                 + (f": {loss[-1]:.4g}" if loss else "") + "</text>")
    parts.append(f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" '
                 'fill="none" stroke="#999"/>')
    if loss:
        lo, hi = min(loss), max(loss)
        span = (hi - lo) or 1.0
        n = max(len(loss) - 1, 1)
        pts = " ".join(
            f"{pad + (w - 2 * pad) * i / n:.1f},{h - pad - (h - 2 * pad) * (v - lo) / span:.1f}"
            for i, v in enumerate(loss))
        parts.append(f'<polyline class="loss" points="{pts}" fill="none" stroke="#1f6fb4" '
                     'stroke-width="1.5"/>')
        parts.append(f'<text x="{pad}" y="{h - 8}" font-size="10">{_fmt(lo)}..{hi:.3g}</text>')
    parts.append("</g>")
    fast = getattr(model, "predict_one", None)
    width = w
    if rows and len(rows[0]) == 2 and fast is not None:
        xs = [r[0] for r in rows]
        ys = [r[1] for r in rows]
        x0, x1 = min(xs) - 0.5, max(xs) + 0.5
        y0, y1 = min(ys) - 0.5, max(ys) + 0.5
        size = h - 2 * pad
        ox = w + pad
        cell = size / grid
        cells = []
        for j in range(grid):
            for i in range(grid):
                a = x0 + (x1 - x0) * (i + 0.5) / grid
                b = y1 - (y1 - y0) * (j + 0.5) / grid
                k = _label_of(fast([a, b]))
                cells.append(f'<rect x="{ox + i * cell:.1f}" y="{pad + j * cell:.1f}" '
                             f'width="{cell + 0.3:.1f}" height="{cell + 0.3:.1f}" '
                             f'fill="{FILL[k % len(FILL)]}"/>')
        parts.append('<g class="boundary">' + "".join(cells) + "</g>")
        dots = []
        for (a, b), t in zip(rows, targets, strict=True):
            px = ox + size * (a - x0) / (x1 - x0)
            py = pad + size * (y1 - b) / (y1 - y0)
            c = PALETTE[_target_class(t) % len(PALETTE)]
            dots.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{c}" '
                        'stroke="#000" stroke-width="0.4"/>')
        parts.append("<g>" + "".join(dots) + "</g>")
        parts.append(f'<text x="{ox}" y="16" font-size="12">decision boundary</text>')
        width = ox + size + pad
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="autograd-live" width="{width}" '
            f'height="{h}" viewBox="0 0 {width} {h}" font-family="sans-serif">'
            + "".join(parts) + "</svg>")
