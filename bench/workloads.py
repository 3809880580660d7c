"""The benchmark workloads of ``shared/bench-workloads.md``, written once for every engine.

Each workload is a function of an engine's ``Value`` class, so autograd-core and micrograd
build the same graph from the same code. The checks compare results with independent
oracles (plain float arithmetic, or the other engine) and raise ``AssertionError`` naming
what disagreed. Nothing here times anything: ``bench/run.py`` does, and
``tests/test_bench_smoke.py`` runs the checks at tiny sizes.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

ENGINES = ("autograd_core", "micrograd")
# The layer sizes of micrograd's moons demo: MLP 2-16-16-1.
W3_SIZES = (2, 16, 16, 1)
W3_STEPS = 20


# --------------------------------------------------------------------------- engines
def _micrograd_tanh(self: Any) -> Any:
    """tanh as one node, written the way micrograd 0.1.0 writes its relu."""
    from micrograd.engine import Value

    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def _micrograd_exp(self: Any) -> Any:
    """exp as one node, written the way micrograd 0.1.0 writes its relu."""
    from micrograd.engine import Value

    e = math.exp(self.data)
    out = Value(e, (self,), "exp")

    def _backward() -> None:
        self.grad += e * out.grad

    out._backward = _backward
    return out


def load_value_class(engine: str) -> type:
    """The ``Value`` class of ``engine`` ("autograd_core" or "micrograd").

    micrograd 0.1.0 has no ``tanh`` or ``exp``; they are added here as single nodes.
    """
    if engine == "autograd_core":
        from autograd_core import Value

        return Value
    if engine == "micrograd":
        from micrograd.engine import Value

        if not hasattr(Value, "tanh"):
            Value.tanh = _micrograd_tanh
        if not hasattr(Value, "exp"):
            Value.exp = _micrograd_exp
        return Value
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


# --------------------------------------------------------------------------- W1 chain
def w1_build(V: type, n: int) -> tuple[Any, Any]:
    """``y = tanh(y * 1.0001 + 0.0001)`` n times from ``x = 0.5``; returns ``(x, y)``."""
    x = V(0.5)
    y = x
    for _ in range(n):
        y = (y * 1.0001 + 0.0001).tanh()
    return x, y


def w1_oracle(n: int) -> tuple[float, float]:
    """The chain in plain floats: (final y, dy/dx as the float64 product of local slopes)."""
    y = 0.5
    product = 1.0
    for _ in range(n):
        y = math.tanh(y * 1.0001 + 0.0001)
        product *= 1.0001 * (1 - y * y)
    return y, product


def w1_check(x: Any, y: Any, n: int,
             oracle: tuple[float, float] | None = None) -> dict[str, float]:
    """Compare the chain's value and ``x.grad`` with :func:`w1_oracle` (or a saved result).

    The gradient must agree to a relative 1e-9 up to n = 1e5; past that the product underflows
    into denormals, so it is checked to an absolute 1e-300.
    """
    want_y, want_grad = w1_oracle(n) if oracle is None else oracle
    got_grad = float(x.grad)
    if float(y.data) != want_y:
        raise AssertionError(f"W1 N={n}: y = {float(y.data)!r}, the float chain gives {want_y!r}")
    if n <= 100_000:
        rel = abs(got_grad - want_grad) / abs(want_grad)
        if not rel < 1e-9:
            raise AssertionError(
                f"W1 N={n}: x.grad = {got_grad!r}, float64 product {want_grad!r} "
                f"(relative error {rel:.3g} >= 1e-9)"
            )
        return {"grad": got_grad, "oracle": want_grad, "rel_error": rel}
    err = abs(got_grad - want_grad)
    if not err < 1e-300:
        raise AssertionError(
            f"W1 N={n}: x.grad = {got_grad!r}, float64 product {want_grad!r} "
            f"(absolute error {err:.3g} >= 1e-300)"
        )
    return {"grad": got_grad, "oracle": want_grad, "abs_error": err}


# --------------------------------------------------------------------------- W2 wide
def w2_data(n: int) -> tuple[list[float], list[float]]:
    """The inputs and weights of W2 (deterministic, in [-0.5, 0.5))."""
    xs = [((i * 37) % 101) / 101 - 0.5 for i in range(n)]
    ws = [((i * 53) % 97) / 97 - 0.5 for i in range(n)]
    return xs, ws


def w2_build(V: type, xs: Sequence[float], ws: Sequence[float]) -> tuple[list, list, Any]:
    """``s = x0*w0 + x1*w1 + ...`` built with ``+`` left to right (4N-1 nodes)."""
    X = [V(v) for v in xs]
    W = [V(v) for v in ws]
    s = X[0] * W[0]
    for i in range(1, len(X)):
        s = s + X[i] * W[i]
    return X, W, s


def w2_nodes(n: int) -> int:
    """Nodes in W2's graph: 2N leaves, N products, N-1 sums."""
    return 4 * n - 1


def w2_check(X: Sequence[Any], W: Sequence[Any], s: Any, xs: Sequence[float],
             ws: Sequence[float]) -> dict[str, float]:
    """The sum equals the float sum (same order); d s / d x_i = w_i and d s / d w_i = x_i."""
    n = len(xs)
    want = xs[0] * ws[0]
    for i in range(1, n):
        want = want + xs[i] * ws[i]
    if float(s.data) != want:
        raise AssertionError(f"W2 N={n}: s = {float(s.data)!r}, the float sum is {want!r}")
    picks = sorted({0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n)))
    for i in picks:
        if float(X[i].grad) != ws[i] or float(W[i].grad) != xs[i]:
            raise AssertionError(
                f"W2 N={n}: x[{i}].grad = {float(X[i].grad)!r} (want w = {ws[i]!r}), "
                f"w[{i}].grad = {float(W[i].grad)!r} (want x = {xs[i]!r})"
            )
    return {"sum": want, "checked": len(picks)}


# --------------------------------------------------------------------------- W3 moons
def moons(n_half: int = 50, noise: float = 0.1, seed: int = 1337) -> tuple[list, list]:
    """Two interleaving half circles, deterministic: (points, labels -1 outer / +1 inner)."""
    rng = random.Random(seed)
    points: list[tuple[float, float]] = []
    labels: list[float] = []
    for i in range(n_half):
        t = math.pi * i / (n_half - 1)
        gx = rng.gauss(0, noise)
        gy = rng.gauss(0, noise)
        points.append((math.cos(t) + gx, math.sin(t) + gy))
        labels.append(-1.0)
    for i in range(n_half):
        t = math.pi * i / (n_half - 1)
        gx = rng.gauss(0, noise)
        gy = rng.gauss(0, noise)
        points.append((1 - math.cos(t) + gx, 1 - math.sin(t) - 0.5 + gy))
        labels.append(1.0)
    return points, labels


def initial_parameters(sizes: Sequence[int] = W3_SIZES, seed: int = 1337) -> list[float]:
    """Parameters in micrograd's order (per layer, per neuron: weights, then bias 0)."""
    rng = random.Random(seed)
    params: list[float] = []
    for nin, nout in itertools.pairwise(sizes):
        for _ in range(nout):
            params.extend(rng.uniform(-1, 1) for _ in range(nin))
            params.append(0.0)
    return params


class NodeMLP:
    """An MLP built node by node exactly as micrograd's ``nn.MLP``, for any ``Value`` class.

    A neuron is ``sum((wi*xi for wi, xi in zip(w, x)), b)``, i.e. ``b + w0*x0 + w1*x1 + ...``,
    with relu on the hidden layers and a linear output, as in micrograd 0.1.0.
    """

    def __init__(self, V: type, sizes: Sequence[int], values: Sequence[float]) -> None:
        it = iter(values)
        self.layers: list[tuple[list[tuple[list[Any], Any]], bool]] = []
        last = len(sizes) - 2
        for index, (nin, nout) in enumerate(itertools.pairwise(sizes)):
            neurons = []
            for _ in range(nout):
                w = [V(next(it)) for _ in range(nin)]
                neurons.append((w, V(next(it))))
            self.layers.append((neurons, index != last))

    def __call__(self, x: Sequence[Any]) -> Any:
        for neurons, nonlin in self.layers:
            out = []
            for w, b in neurons:
                # micrograd's neuron, character for character
                act = sum((wi * xi for wi, xi in zip(w, x)), b)  # noqa: B905
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Any]:
        return [p for neurons, _ in self.layers for w, b in neurons for p in (*w, b)]


class FusedMLP(NodeMLP):
    """The same MLP with each neuron one ``autograd_core.dot(w, x, b)`` node (fused)."""

    def __call__(self, x: Sequence[Any]) -> Any:
        from autograd_core import dot

        for neurons, nonlin in self.layers:
            out = []
            for w, b in neurons:
                act = dot(w, x, b)
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0] if len(x) == 1 else x


def micrograd_mlp(values: Sequence[float], sizes: Sequence[int] = W3_SIZES) -> tuple[Any, list]:
    """micrograd's own ``nn.MLP`` with its parameters set to ``values``."""
    from micrograd.nn import MLP

    model = MLP(sizes[0], list(sizes[1:]))
    params = model.parameters()
    _assign(params, values)
    return model, params


def nn_mlp(values: Sequence[float], sizes: Sequence[int] = W3_SIZES) -> tuple[Any, list]:
    """The project's ``nn.MLP`` (fused neurons) with its parameters set to ``values``.

    Raises ``ImportError`` when ``nn.MLP`` does not exist yet.
    """
    from nn import MLP

    model = MLP(sizes[0], list(sizes[1:]))
    params = list(model.parameters())
    _assign(params, values)
    return model, params


def _assign(params: Sequence[Any], values: Sequence[float]) -> None:
    if len(params) != len(values):
        raise AssertionError(
            f"the model has {len(params)} parameters, the workload defines {len(values)}"
        )
    for p, v in zip(params, values, strict=True):
        p.data = v
        p.grad = 0.0


def make_w3_model(engine: str, variant: str) -> tuple[Any, list, str]:
    """(model, parameters, description) for a W3 variant ("nodes" or "nn") on ``engine``.

    For "nn" on autograd_core the project's ``nn.MLP`` is used when it exists; otherwise the
    same fused network is built from ``autograd_core.dot`` (said so in the description).
    """
    values = initial_parameters()
    if engine == "micrograd":
        if variant != "nodes":
            raise ValueError("micrograd has no fused neuron; W3-nn runs on autograd_core only")
        model, params = micrograd_mlp(values)
        return model, params, "micrograd.nn.MLP (node by node)"
    V = load_value_class(engine)
    if variant == "nodes":
        model = NodeMLP(V, W3_SIZES, values)
        return model, model.parameters(), "node by node, as micrograd"
    if variant == "nn":
        try:
            model, params = nn_mlp(values)
            return model, params, "nn.MLP (fused dot neuron)"
        except ImportError:
            model = FusedMLP(V, W3_SIZES, values)
            return model, model.parameters(), "autograd_core.dot neurons (nn.MLP not available)"
    raise ValueError(f"unknown W3 variant {variant!r}; choose 'nodes' or 'nn'")


def w3_loss(V: type, model: Callable[[Any], Any], params: Sequence[Any],
            points: Sequence[tuple[float, float]], labels: Sequence[float]) -> Any:
    """micrograd's demo loss: mean hinge ``relu(1 - y*score)`` plus ``1e-4 * sum(p*p)``."""
    inputs = [[V(a), V(b)] for a, b in points]
    scores = [model(x) for x in inputs]
    data_loss = None
    for yi, score in zip(labels, scores, strict=True):
        li = (1 + (-yi) * score).relu()
        data_loss = li if data_loss is None else data_loss + li
    reg = None
    for p in params:
        reg = p * p if reg is None else reg + p * p
    return data_loss * (1 / len(points)) + reg * 1e-4


def w3_step(V: type, model: Callable[[Any], Any], params: Sequence[Any],
            points: Sequence[tuple[float, float]], labels: Sequence[float], k: int) -> float:
    """One SGD step of the demo (learning rate ``1 - 0.9*k/100``); returns the loss."""
    loss = w3_loss(V, model, params, points, labels)
    for p in params:
        p.grad = 0.0
    loss.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in params:
        p.data -= lr * p.grad
    return float(loss.data)


def w3_train(V: type, model: Callable[[Any], Any], params: Sequence[Any],
             points: Sequence[tuple[float, float]], labels: Sequence[float],
             steps: int = W3_STEPS) -> list[float]:
    """``steps`` SGD steps; the loss of each step."""
    return [w3_step(V, model, params, points, labels, k) for k in range(steps)]


def agreement(loss: float, reference: float, tolerance: float, what: str,
              whose: str) -> float:
    """``loss`` and ``reference`` (``whose`` loss) agree to ``tolerance`` relative; returns
    the relative difference, or raises ``AssertionError`` naming ``what`` and both numbers."""
    rel = abs(loss - reference) / abs(reference)
    if not rel <= tolerance:
        raise AssertionError(
            f"{what}: loss after the steps {loss!r}, {whose} {reference!r} "
            f"(relative difference {rel:.3g} > {tolerance!r})"
        )
    return rel


def w3_check(loss: float, reference: float, what: str) -> float:
    """The loss after 20 steps agrees with the reference (micrograd's) to 1e-6 relative."""
    return agreement(loss, reference, 1e-6, f"W3 {what}", "micrograd's")


# --------------------------------------------------------------------------- W3 on a tape
def w3_example_loss(model: Callable[[Any], Any], params: Sequence[Any],
                    n: int) -> Callable[..., Any]:
    """One example's share of the W3 loss: ``relu(1 - y*score)/n + 1e-4 * sum(p*p)/n``.

    Summed over the ``n`` examples it is :func:`w3_loss` (up to rounding): traced once, its
    tape replays the whole data set as ``n`` lanes. The regulariser is one ``sum_of`` node
    (the same left-to-right sum as a chain of ``+``, bit for bit, in one step).
    """
    from autograd_core import sum_of

    def example_loss(x0: Any, x1: Any, y: Any) -> Any:
        score = model([x0, x1])
        reg = sum_of([p * p for p in params])
        return (1 + (-y) * score).relu() * (1 / n) + reg * (1e-4 / n)

    return example_loss


def w3_tape_setup() -> tuple[Any, list[float], tuple[Any, Any, Any]]:
    """(tape, initial parameter numbers, lane arguments): the W3-nn model's per-example loss
    traced once (parameters as arguments), and the 100 points as arrays."""
    import numpy as np

    from autograd_core import trace

    model, params = nn_mlp(initial_parameters())
    points, labels = moons()
    tape = trace(w3_example_loss(model, params, len(points)), *points[0], labels[0],
                 params=params)
    lanes = (np.array([p[0] for p in points]), np.array([p[1] for p in points]),
             np.array(labels))
    theta = [p.data for p in params]
    tape.plan(*lanes, *theta)  # the lane plan made now, in the setup, as a jit's first call
    return tape, theta, lanes


def w3_tape_train(tape: Any, theta: Sequence[float], lanes: tuple[Any, Any, Any],
                  steps: int = W3_STEPS) -> list[float]:
    """W3's SGD steps by replaying ``tape`` over the lanes; the loss of each step."""
    theta = list(theta)
    losses = []
    for k in range(steps):
        value, grads = tape.value_and_grad(*lanes, *theta)
        lr = 1.0 - 0.9 * k / 100
        theta = [t - lr * g for t, g in zip(theta, grads[3:], strict=True)]
        losses.append(sum(value.tolist()))
    return losses


def w3_tape_check(loss: float, reference: float) -> float:
    """The tape's loss after the steps agrees with W3-nn's to 1e-9 relative."""
    return agreement(loss, reference, 1e-9, "W3-tape", "W3-nn's")


# --------------------------------------------------------------------------- W3 float tape
def w3_float_tape_setup(points: Sequence[tuple[float, float]] | None = None,
                        labels: Sequence[float] | None = None) -> tuple[Any, list[float]]:
    """(tape, initial parameter numbers): W3-nn's whole loss, :func:`w3_loss` on the project's
    ``nn.MLP``, traced once with the parameters as the tape's only arguments.

    It is exactly the W3-nn graph: the points and labels become constants of the tape, so a
    replay on floats gives W3-nn's numbers bit for bit. Where the tape compiles its float
    replay (``tape.compiled``), that happens here, before the steps.
    """
    from autograd_core import Value, trace

    if points is None or labels is None:
        points, labels = moons()
    model, params = nn_mlp(initial_parameters())
    tape = trace(lambda: w3_loss(Value, model, params, points, labels), params=params)
    getattr(tape, "compiled", None)  # the property compiles the replay if not done yet
    return tape, [p.data for p in params]


def w3_float_tape_train(tape: Any, theta: Sequence[float],
                        steps: int = W3_STEPS) -> list[float]:
    """W3's SGD steps as float replays of the whole-loss tape; the loss of each step.

    ``value, grads = tape.value_and_grad(*theta)`` then ``theta -= lr * grads``: the same
    arithmetic as ``p.data -= lr * p.grad`` in :func:`w3_step`.
    """
    theta = list(theta)
    losses = []
    for k in range(steps):
        value, grads = tape.value_and_grad(*theta)
        lr = 1.0 - 0.9 * k / 100
        theta = [t - lr * g for t, g in zip(theta, grads, strict=True)]
        losses.append(value)
    return losses


def w3_float_tape_check(loss: float, reference: float) -> float:
    """The float tape's loss after the steps equals W3-nn's bit for bit (same graph, same
    order); returns the difference, 0.0."""
    if loss != reference:
        raise AssertionError(
            f"W3-float-tape: loss after the steps {loss!r}, W3-nn's {reference!r}: the same "
            f"graph replayed on floats must give the same bits (difference {loss - reference:.3g})"
        )
    return 0.0


# --------------------------------------------------------------------------- W3 in PyTorch
TORCH_VERSION = "2.13.0"
TORCH_INSTALL = f"pip install torch=={TORCH_VERSION} (or pip install -r bench/requirements.txt)"


def w3_torch_setup(points: Sequence[tuple[float, float]] | None = None,
                   labels: Sequence[float] | None = None,
                   threads: int = 1) -> tuple[list[Any], Any, Any]:
    """(parameters, X, y) for W3 in PyTorch: the same 2-16-16-1 network and initial numbers
    (:func:`initial_parameters`, micrograd's order) as weight matrices ``(nout, nin)`` and bias
    vectors, float64 on the CPU; the points as one ``(n, 2)`` tensor, the labels ``(n, 1)``.

    Sets ``torch.set_num_threads(threads)`` (1 by default: one core, as our engine uses).
    Raises ``ImportError`` without PyTorch.
    """
    import torch

    torch.set_num_threads(threads)
    if points is None or labels is None:
        points, labels = moons()
    values = initial_parameters()
    params: list[Any] = []
    at = 0
    for nin, nout in itertools.pairwise(W3_SIZES):
        rows, biases = [], []
        for _ in range(nout):
            rows.append(values[at:at + nin])
            biases.append(values[at + nin])
            at += nin + 1
        params.append(torch.tensor(rows, dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor(biases, dtype=torch.float64, requires_grad=True))
    X = torch.tensor([list(p) for p in points], dtype=torch.float64)
    y = torch.tensor([[v] for v in labels], dtype=torch.float64)
    return params, X, y


def w3_torch_loss(params: Sequence[Any], X: Any, y: Any) -> Any:
    """W3's loss, batched: mean of ``relu(1 - y*score)`` plus ``1e-4 * sum(p*p)``."""
    import torch

    h = X
    last = len(params) // 2 - 1
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i // 2 != last:
            h = torch.relu(h)
    data_loss = torch.relu(1 - y * h).mean()
    reg = sum((p * p).sum() for p in params)
    return data_loss + reg * 1e-4


def w3_torch_train(params: Sequence[Any], X: Any, y: Any,
                   steps: int = W3_STEPS) -> list[float]:
    """W3's SGD steps in PyTorch (lr ``1 - 0.9*k/100``); the loss of each step."""
    import torch

    losses = []
    for k in range(steps):
        loss = w3_torch_loss(params, X, y)
        for p in params:
            p.grad = None
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


def w3_torch_check(loss: float, reference: float) -> float:
    """PyTorch's loss after the steps agrees with W3-nn's to 1e-9 relative (it sums in
    another order: matrix products and reductions)."""
    return agreement(loss, reference, 1e-9, "W3-torch", "W3-nn's")


# --------------------------------------------------------------------------- digits demo
DIGITS_EPOCHS = 10
DIGITS_BATCH = 32
DIGITS_SEED = 1337  # autograd-core demo's default --seed


def digits_data() -> tuple[list, list, list, list]:
    """The demo's split of scikit-learn's digits: ``nn.datasets.digits(0.25, seed=0)``."""
    from nn.datasets import digits

    return digits(test_fraction=0.25, seed=0)


def digits_train(data: tuple[list, list, list, list], compile: bool,
                 epochs: int = DIGITS_EPOCHS, limit: int | None = None) -> dict[str, Any]:
    """Train as ``autograd-core demo --dataset digits`` does: MLP 64-32-10 (seed 1337),
    softmax cross-entropy, Adam lr 0.01, batches of 32, validation on the held-out quarter.

    ``compile`` is passed to ``nn.fit`` only when true (so the interpreted run works on an
    ``nn`` without it); ``fit`` raising ``TypeError`` for it means it does not exist yet.
    ``limit`` keeps the first ``limit`` training and held-out examples (for tests).
    Returns the history's final figures.
    """
    from nn import MLP, fit
    from nn.losses import cross_entropy
    from nn.optim import Adam

    X_train, y_train, X_test, y_test = data
    if limit is not None:
        X_train, y_train, X_test, y_test = (X_train[:limit], y_train[:limit],
                                            X_test[:limit], y_test[:limit])
    model = MLP(64, [32, 10], seed=DIGITS_SEED)
    opt = Adam(model, lr=0.01)
    extra = {"compile": True} if compile else {}
    history = fit(model, X_train, y_train, loss=cross_entropy, optimizer=opt, epochs=epochs,
                  batch_size=DIGITS_BATCH, validation_data=(X_test, y_test), progress=False,
                  seed=DIGITS_SEED, **extra)
    return {"loss": history["loss"][-1], "accuracy": history["accuracy"][-1],
            "val_accuracy": history["val_accuracy"][-1], "epochs": len(history["loss"]),
            "losses": list(history["loss"])}


def digits_check(compiled: dict[str, Any], interpreted: dict[str, Any]) -> float:
    """Training with ``compile=True`` reaches the interpreted run's held-out accuracy exactly
    and its final training loss to 1e-9 relative; returns the loss's relative difference."""
    if compiled["val_accuracy"] != interpreted["val_accuracy"]:
        raise AssertionError(
            f"digits: held-out accuracy with compile=True {compiled['val_accuracy']!r}, "
            f"interpreted {interpreted['val_accuracy']!r}"
        )
    rel = abs(compiled["loss"] - interpreted["loss"]) / abs(interpreted["loss"])
    if not rel <= 1e-9:
        raise AssertionError(
            f"digits: final training loss with compile=True {compiled['loss']!r}, interpreted "
            f"{interpreted['loss']!r} (relative difference {rel:.3g} > 1e-9)"
        )
    return rel
