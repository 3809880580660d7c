"""The demo behind ``make demo`` / ``autograd-core demo``: train a network and draw it.

``moons`` (the default) is micrograd's demo: 100 two-moons points, an MLP 2-16-16-1, hinge
loss plus L2 (``1e-4 * sum(p*p)``), full-batch SGD with a learning rate decaying from 1.0 to
0.1 over 100 steps, until 100% training accuracy. ``digits`` trains a 64-32-10 MLP on
scikit-learn's 8x8 digits with softmax cross-entropy and Adam, and checks the held-out
accuracy. Output goes to ``--out`` (default ``demo-out/``):

- ``decision_boundary.png`` / ``.svg`` (moons) and ``loss_curve.png`` / ``.svg``;
- ``model.json``, the trained model (load it with ``nn.load``);
- ``neuron_graph.svg``, the computation graph of one neuron (when :mod:`viz` provides it);
- ``training.html``, the recorded run on one page: loss curves, the decision boundary, the
  weights and the gradient norm of each layer epoch by epoch, and any point's backward pass
  (``viz.training_page``; ``--no-page`` skips it).

``--activation sigmoid --hidden 8,8,8,8,8,8`` trains a deep sigmoid network on the same
moons instead (hinge loss, SGD on minibatches of 10, no L2, no accuracy target): its page
shows the first layers' gradients two to three orders of magnitude below the last ones.

Run it as ``python -m nn.demo --help``. Needs the ``demo`` extra (scikit-learn, matplotlib).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from autograd_core.files import atomic_write, check_writable

from .io import save
from .losses import cross_entropy, hinge
from .module import MLP
from .optim import SGD, Adam, linear_decay
from .train import _rows, evaluate, fit, predict

DEFAULTS = {
    "moons": {"epochs": 100, "min_accuracy": 1.0},
    "digits": {"epochs": 10, "min_accuracy": 0.9},
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograd-core demo",
        description="Train a small network with autograd-core and write plots, the model "
        "and a computation graph to a folder.",
    )
    p.add_argument("--dataset", choices=sorted(DEFAULTS), default="moons",
                   help="moons: micrograd's demo (default); digits: 8x8 digits, 10 classes")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out/)")
    p.add_argument("--epochs", type=int, default=None,
                   help="training epochs (moons: 100 full-batch steps; digits: 10)")
    p.add_argument("--seed", type=int, default=1337, help="seed for weights and shuffling")
    p.add_argument("--min-accuracy", type=float, default=None,
                   help="exit with status 1 below this accuracy (moons: 1.0 on the training "
                   "set after training; digits: 0.9 held out); 0 never fails. A moons run "
                   "with a non-default --activation or --hidden sets no target (as 0) "
                   "unless you give one")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-plots", action="store_true", help="skip the matplotlib figures")
    p.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu",
                   help="hidden activation of the moons network (default relu). A "
                   "non-default --activation or --hidden also changes the training: SGD on "
                   "minibatches of 10 (lr 1.0 -> 0.1 over all steps), no L2 penalty, and no "
                   "accuracy target (see --min-accuracy)")
    p.add_argument("--hidden", type=_sizes, default=[16, 16], metavar="N,N,...",
                   help="hidden layer sizes of the moons network (default 16,16); with "
                   "--activation sigmoid --hidden 8,8,8,8,8,8 the training page shows "
                   "vanishing gradients")
    p.add_argument("--no-page", action="store_true", help="skip training.html")
    p.add_argument("--no-compile", action="store_true",
                   help="train with the interpreter (a graph of Values per example) even "
                   "when NumPy is there; by default the per-example loss is traced once and "
                   "minibatches run as NumPy lanes (fit(compile=True))")
    return p


def _compile_choice(args: argparse.Namespace) -> bool:
    """Whether to train with ``fit(compile=True)``, said in one line."""
    if args.no_compile:
        print("engine: the interpreter (--no-compile): a graph of Values per example")
        return False
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("engine: the interpreter (NumPy is not installed; pip install "
              "'autograd-core[fast]' for fit(compile=True))")
        return False
    print("engine: fit(compile=True): the per-example loss traced once, each minibatch "
          "replayed as NumPy lanes (--no-compile for the interpreter)")
    return True


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes layer sizes separated by commas, like 16,16; got {text!r}"
        ) from None
    if not sizes or any(s < 1 or s > 256 for s in sizes) or len(sizes) > 16:
        raise argparse.ArgumentTypeError(
            f"--hidden takes 1 to 16 sizes from 1 to 256, like 16,16; got {text!r}"
        )
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status (0 when the accuracy target is met)."""
    args = _parser().parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        print("error: --epochs must be at least 1", file=sys.stderr)
        return 2
    defaults = DEFAULTS[args.dataset]
    epochs = args.epochs or defaults["epochs"]
    custom = args.activation != "relu" or args.hidden != [16, 16]
    if custom and args.dataset != "moons":
        print("error: --activation and --hidden are for the moons dataset", file=sys.stderr)
        return 2
    if custom:  # a network chosen to show something (vanishing gradients), not to pass
        defaults = {**defaults, "min_accuracy": 0.0}
    min_accuracy = defaults["min_accuracy"] if args.min_accuracy is None else args.min_accuracy
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    # A FIFO or folder where an output goes is refused now, not after training.
    for name in ("model.json", "training.html", "neuron_graph.svg"):
        check_writable(os.path.join(out, name))
    progress = False if args.no_progress else None
    run = _moons if args.dataset == "moons" else _digits
    try:
        accuracy, written = run(args, epochs, out, progress)
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\nwrote:")
    for what, path in written:
        print(f"  {what:<24} {path}")
    if accuracy < min_accuracy:
        print(f"FAILED: accuracy {accuracy:.1%} is below the target {min_accuracy:.1%}")
        return 1
    return 0


# --------------------------------------------------------------------------- moons
def _moons(
    args: argparse.Namespace, epochs: int, out: str, progress: bool | None
) -> tuple[float, list[tuple[str, str]]]:
    from .datasets import make_moons, sklearn_moons

    try:
        X, y = sklearn_moons(100, noise=0.1, seed=1)
        source = "scikit-learn make_moons(n_samples=100, noise=0.1, random_state=1)"
    except ImportError:
        X, y = make_moons(100, noise=0.1, seed=1337)
        source = "the built-in moons generator (scikit-learn is not installed)"
    print(f"data: 100 two-moons points from {source}")
    model = MLP(2, [*args.hidden, 1], activation=args.activation, seed=args.seed)
    print(f"model: {model}")
    custom = args.activation != "relu" or args.hidden != [16, 16]
    if not custom:
        opt = SGD(model, lr=1.0, schedule=linear_decay(100, final=0.1))
        print(f"training: hinge loss + 1e-4 * L2, SGD lr 1.0 -> 0.1, {epochs} full-batch "
              "steps")
        batch_size, l2_penalty = None, 1e-4
    else:
        # Minibatches and no L2: a full batch of the two balanced classes cancels the top
        # layers' gradients once the net says the same everywhere, and the penalty's own
        # gradient (2e-4 * w) would hide how little reaches the lower layers.
        batch_size, l2_penalty = 10, 0.0
        opt = SGD(model, lr=1.0, schedule=linear_decay(10 * epochs, final=0.1))
        print(f"training: hinge loss, no L2 penalty, SGD lr 1.0 -> 0.1, minibatches of 10 "
              f"(shuffled), {epochs} epochs (a non-default network: not the default "
              "full-batch run with 1e-4 * L2, and no accuracy target unless --min-accuracy)")
    compile = _compile_choice(args)
    start = time.perf_counter()
    history = fit(model, X, y, loss=hinge, optimizer=opt, epochs=epochs, l2_penalty=l2_penalty,
                  batch_size=batch_size, progress=progress, seed=args.seed,
                  record=not args.no_page, compile=compile)
    seconds = time.perf_counter() - start
    final = evaluate(model, X, y, loss=hinge)
    accuracy = final["accuracy"]
    # fit's figures are running ones (averaged over the epoch's steps, before each update);
    # the target is checked on the trained model, the page's "after it" figure.
    print(f"trained in {seconds:.2f} s: loss {history['loss'][-1]:.4f} and accuracy "
          f"{history['accuracy'][-1]:.1%} during the last epoch (running, before each "
          f"update); training accuracy after training {accuracy:.1%}")

    written = _save_model_and_plots(
        model, out, args.no_plots,
        lambda: _plot_loss(history, out, "moons: hinge + L2 loss")
        + _plot_boundary(model, X, y, out),
    )
    neuron = model.layers[0].neurons[0]
    active = [x for x in X if neuron._forward_floats(x) > 0]  # a point where it is not flat
    written.append(_neuron_graph(model, (active or X)[0], out))
    if not args.no_page:
        _print_gradient_health(history)
        written.append(_training_page(model, history, X, y, out))
    return accuracy, written


# --------------------------------------------------------------------------- digits
def _digits(
    args: argparse.Namespace, epochs: int, out: str, progress: bool | None
) -> tuple[float, list[tuple[str, str]]]:
    from .datasets import digits

    X_train, y_train, X_test, y_test = digits(test_fraction=0.25, seed=0)
    print(f"data: scikit-learn 8x8 digits, {len(X_train)} for training, "
          f"{len(X_test)} held out")
    model = MLP(64, [32, 10], seed=args.seed)
    print(f"model: {model}")
    opt = Adam(model, lr=0.01)
    print(f"training: softmax cross-entropy, Adam lr 0.01, batches of 32, {epochs} epochs")
    compile = _compile_choice(args)
    start = time.perf_counter()
    history = fit(model, X_train, y_train, loss=cross_entropy, optimizer=opt, epochs=epochs,
                  batch_size=32, validation_data=(X_test, y_test), progress=progress,
                  seed=args.seed, record=not args.no_page, compile=compile)
    seconds = time.perf_counter() - start
    accuracy = history["val_accuracy"][-1]
    print(f"trained in {seconds:.1f} s: training accuracy {history['accuracy'][-1]:.1%}, "
          f"held-out accuracy {accuracy:.1%}")

    written = _save_model_and_plots(
        model, out, args.no_plots, lambda: _plot_loss(history, out, "digits: cross-entropy")
    )
    if not args.no_page:
        written.append(_training_page(model, history, X_train, y_train, out))
    return accuracy, written


def _save_model_and_plots(
    model: MLP, out: str, no_plots: bool, draw: Any
) -> list[tuple[str, str]]:
    """Save ``model.json`` in ``out`` and, unless ``no_plots``, the plots ``draw()`` makes."""
    model_path = os.path.join(out, "model.json")
    save(model, model_path)
    written = [("model", model_path)]
    if not no_plots:
        written += _plots(draw)
    return written


# --------------------------------------------------------------------------- outputs
def _figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "the plots need matplotlib: pip install 'autograd-core[demo]' (or pass --no-plots)"
        ) from None
    # A bare Figure draws with the Agg renderer and never touches pyplot's global state.
    return Figure(figsize=(6, 4.5), dpi=100)


def _save_figure(fig: Any, out: str, stem: str) -> list[tuple[str, str]]:
    written = []
    for ext in ("png", "svg"):
        path = os.path.join(out, f"{stem}.{ext}")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, metadata={"Date": None} if ext == "svg" else None)
        _write_bytes(path, buffer.getvalue())
        written.append((f"{stem.replace('_', ' ')} ({ext})", path))
    return written


def _plots(draw: Any) -> list[tuple[str, str]]:
    try:
        return draw()
    except ImportError as exc:
        return [("plots", f"(skipped: {exc})")]


def _write_bytes(path: str, data: bytes) -> None:
    atomic_write(path, data)


def _plot_loss(history: dict[str, list[float]], out: str, title: str) -> list[tuple[str, str]]:
    fig = _figure()
    ax = fig.subplots()
    epochs = range(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], label="held-out loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return _save_figure(fig, out, "loss_curve")


def _plot_boundary(
    model: MLP, X: list[list[float]], y: list[int], out: str
) -> list[tuple[str, str]]:
    steps = 80
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    scores = predict(model, [[a, b] for b in gy for a in gx])
    grid = [[1.0 if scores[j * steps + i] > 0 else -1.0 for i in range(steps)]
            for j in range(steps)]
    fig = _figure()
    ax = fig.subplots()
    ax.contourf(gx, gy, grid, levels=[-2, 0, 2], colors=["#f4c7a1", "#a9c8e8"], alpha=0.8)
    classes = ((-1, "#d95f02", "outer moon (-1)"), (1, "#1f6fb4", "inner moon (+1)"))
    for label, color, name in classes:
        pts = [p for p, t in zip(X, y, strict=True) if t == label]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], c=color, s=22, edgecolors="k",
                   linewidths=0.4, label=name)
    ax.set_title("decision boundary of the trained MLP 2-16-16-1")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _save_figure(fig, out, "decision_boundary")


def _print_gradient_health(history: Any) -> None:
    """One line: each layer's gradient norm in the last epoch (vanishing gradients show)."""
    rec = history.record
    norms = {name: rec.grad_norm[name][-1] for name in rec.layers if rec.grad_norm[name]}
    if not norms:
        return
    print("gradient norm per layer, last epoch: "
          + ", ".join(f"{name} {v:.2g}" for name, v in norms.items()))
    hidden = rec.layers[:-1]
    if len(hidden) >= 2 and norms[hidden[0]] > 0:
        ratio = norms[hidden[-1]] / norms[hidden[0]]
        print(f"  last hidden layer / first: {ratio:.3g}x"
              + ("  (vanishing gradients)" if ratio >= 100 else ""))


def _training_page(model: MLP, history: Any, X: Any, y: Any, out: str) -> tuple[str, str]:
    """``training.html``: the recorded run on one page (``viz.training_page``)."""
    from viz.training import training_page

    path = os.path.join(out, "training.html")
    training_page(model, history, X, y, path)
    return ("training page", path)


def _neuron_graph(model: MLP, x: list[float], out: str) -> tuple[str, str]:
    """The graph of the first hidden neuron on one input, drawn by ``viz.save_svg``."""
    from autograd_core import Value

    path = os.path.join(out, "neuron_graph.svg")
    neuron = model.layers[0].neurons[0]
    inputs = [Value(v, f"x{i}") for i, v in enumerate(_rows([x], None)[0])]
    root = neuron(inputs)
    root.label = "out"
    try:
        from viz import save_svg
    except (ImportError, AttributeError):
        return ("neuron graph", "(skipped: viz.save_svg is not available yet)")
    neuron.zero_grad()  # show this graph's gradients, not the last training step's
    root.backward()
    try:
        save_svg(root, path)
    except (ImportError, AttributeError) as exc:
        return ("neuron graph", f"(skipped: viz could not draw it: {exc})")
    except RuntimeError as exc:
        if not type(exc).__module__.startswith("viz"):
            raise
        # e.g. viz.render.RendererNotFound: no Graphviz here (viz leaves the .dot file)
        return ("neuron graph", f"(skipped: {type(exc).__name__}: {exc})")
    return ("neuron graph", path)


if __name__ == "__main__":
    sys.exit(main())
