"""Hostile input for fit(compile=True) (nn.compiled): whenever it accepts the input, the
history equals compile=False's to 1e-9; when it refuses, the error says what to do and the
model's parameters are unchanged. Tests marked "guard" document behaviour that was already
right when this file was written.
"""

from __future__ import annotations

import functools
import math
import random
import warnings

import numpy as np
import pytest

import nn
from autograd_core import Value, sum_of
from nn import MLP, fit
from nn.losses import cross_entropy, hinge, mse
from nn.module import Module

TOL = 1e-9
RNG = random.Random(0)
X = [[RNG.uniform(-1, 1), RNG.uniform(-1, 1)] for _ in range(24)]
LABELS = [int(x[0] > 0) + int(x[1] > 0) for x in X]
SIGNS = [1 if x[0] > x[1] else -1 for x in X]
NUMBERS = [x[0] * x[1] for x in X]


def same(a, b, floor=1e-12):
    """Two numbers equal to 1e-9 relative, NaN equal to NaN."""
    return a == b or (a != a and b != b) or abs(a - b) <= TOL * max(abs(b), floor)


def run(make_model, X, y, compile, **kw):
    model = make_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        history = fit(model, X, y, progress=False, compile=compile, **kw)
    return model, history


def both(make_model, X, y, **kw):
    """Train with compile=False and compile=True: the same history and parameters."""
    kw.setdefault("epochs", 2)
    kw.setdefault("batch_size", 5)
    kw.setdefault("optimizer", "sgd")
    kw.setdefault("lr", 0.1)
    m1, h1 = run(make_model, X, y, False, **kw)
    m2, h2 = run(make_model, X, y, True, **kw)
    assert h1.keys() == h2.keys()
    for key in h1:
        assert len(h1[key]) == len(h2[key]), key
        for a, b in zip(h2[key], h1[key], strict=True):
            assert same(a, b), (key, a, b)
    for p, q in zip(m2.parameters(), m1.parameters(), strict=True):
        assert same(p.data, q.data, floor=1.0)
    return h1, h2


def refused(make_model, X, y, match, kind=ValueError, **kw):
    """compile=True refuses before training (the parameters unchanged), saying what to do."""
    model = make_model()
    before = [p.data for p in model.parameters()]
    with pytest.raises(kind, match=match) as info:
        fit(model, X, y, progress=False, compile=True, epochs=2, batch_size=5, **kw)
    assert [p.data for p in model.parameters()] == before
    return info.value


def mlp(*sizes):
    return lambda: MLP(2, list(sizes), seed=1)


# --------------------------------------------------------------------------- silent errors
SORTED_LABELS = [0] * 8 + [1] * 8 + [2] * 8


@pytest.mark.parametrize("loss", [
    lambda p, t: cross_entropy(p, t),
    functools.partial(cross_entropy, reduction="mean"),
], ids=["lambda", "partial"])
def test_cross_entropy_in_a_wrapper_with_sorted_labels_trains_the_same(loss):
    """Before: the wrapped loss read each int label as a number while tracing, so the tape
    kept the first example's class for every example; the first batch (all class 0) agreed,
    and training went silently elsewhere (history 26% off)."""
    both(mlp(5, 3), X, SORTED_LABELS, loss=loss, batch_size=8)


def reads_target_numbers(p, t):
    """A hinge loss that reads each target's number (not traceable, not detected by the
    tracer: ``.data`` is an attribute)."""
    def label(y):
        return 1.0 if (y.data if isinstance(y, Value) else y) > 0 else -1.0

    return sum_of([(1 - s * label(y)).relu() for s, y in zip(p, t, strict=True)]) * (1 / len(p))


def test_a_loss_reading_target_numbers_is_refused_even_when_the_first_batch_agrees():
    """Before: the first batch had one target only, agreed, and the tape trained with the
    first example's target everywhere (history 67% off)."""
    y = [1] * 10 + [-1] * 14
    refused(mlp(5, 1), X, y, r"(disagrees|looks at a number).*compile=False",
            loss=reads_target_numbers)


def reads_input_numbers(p, t):
    return mse(p, t)


class ReadsData(Module):
    """Branches on an input's ``.data``: the tracer cannot see it."""

    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]

    def __call__(self, x):
        return self.w[0] * x[0] * (2.0 if x[0].data > 0 else 1.0) + self.w[1] * x[1]


def test_a_model_reading_input_numbers_is_refused_even_when_the_first_batch_agrees():
    """Before: 8 sorted examples with x[0] < 0 agreed, then silently wrong."""
    Xs = sorted(X)
    refused(ReadsData, Xs, NUMBERS, r"(disagrees|looks at a number).*compile=False", loss="mse")


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_inf_in_the_data_trains_as_the_interpreter(where, bad):
    """Before: refused with 'the traced loss disagrees (loss nan vs nan)', blaming the loss."""
    Xb = [[bad, 0.0], *X[1:]] if where == "X" else X
    yb = [bad, *NUMBERS[1:]] if where == "y" else NUMBERS
    h1, _ = both(mlp(3, 1), Xb, yb, loss="mse")
    assert not math.isfinite(h1["loss"][0])


# --------------------------------------------------------------------------- model outputs
class Constant(Module):
    """Outputs a plain number: the loss has nothing to train, the interpreter runs anyway."""

    def __init__(self) -> None:
        self.w = [Value(0.3)]

    def __call__(self, x):
        return 1.0


class HalfNumber(Module):
    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]

    def __call__(self, x):
        return [self.w[0] * x[0] + self.w[1], 0.0]


def test_a_model_with_number_outputs_trains_as_the_interpreter():
    """Before: TypeError "object of type 'float' has no len()" / "aux[1] must be a Value"."""
    both(Constant, X, NUMBERS, loss="mse")
    both(HalfNumber, X, [[v, 0.5] for v in NUMBERS], loss="mse", metrics=["mae"])


class Junk(Module):
    def __init__(self) -> None:
        self.w = [Value(0.3)]

    def __call__(self, x):
        return "junk"


def test_a_model_with_junk_outputs_is_refused_saying_what_to_do():
    refused(Junk, X, NUMBERS, r"compile=True.*model.*str.*compile=False", kind=TypeError,
            loss="mse")


class Computed(Module):
    """A 'parameter' that is computed from another: not a leaf, so not traceable as one."""

    def __init__(self) -> None:
        self.w = Value(0.3)
        self.v = self.w * 2.0

    def __call__(self, x):
        return self.v * x[0] + self.w * x[1]


def test_a_computed_parameter_is_refused_saying_what_to_do():
    """Before: 'params[1] must be a leaf Value', no word of compile=False."""
    refused(Computed, X, NUMBERS, r"leaf Value.*compile=False", kind=TypeError, loss="mse",
            optimizer="sgd")


# --------------------------------------------------------------------------- guards
@pytest.mark.parametrize("loss, y, sizes", [
    ("cross_entropy", LABELS, (5, 3)),
    ("cross_entropy", [[1.0 if k == c else 0.0 for k in range(3)] for c in LABELS], (5, 3)),
    ("cross_entropy", [[0.2, 0.3, 0.5] if c else [0.1, 0.8, 0.1] for c in LABELS], (5, 3)),
    ("cross_entropy", np.array(LABELS), (5, 3)),
    ("cross_entropy", [float(c) for c in LABELS], (5, 3)),
    ("hinge", SIGNS, (5, 1)),
    ("hinge", [[s] for s in SIGNS], (5, 1)),
    ("bce", [(s + 1) // 2 for s in SIGNS], (5, 1)),
    ("binary_cross_entropy", [0.3] * 24, (5, 1)),
    ("mse", NUMBERS, (5, 1)),
    ("mse", np.array(NUMBERS, dtype=np.float32), (5, 1)),
    ("mse", [[a, b] for a, b in X], (5, 2)),
    ("mse", [Value(v) for v in NUMBERS], (5, 1)),
], ids=lambda v: type(v).__name__ if not isinstance(v, str) else v)
def test_guard_every_named_loss_and_target_form_trains_the_same(loss, y, sizes):
    both(mlp(*sizes), X, y, loss=loss)


@pytest.mark.parametrize("kw", [
    {"batch_size": None}, {"batch_size": 1}, {"batch_size": 100}, {"batch_size": 23},
    {"epochs": 0}, {"l2_penalty": 1e-2}, {"clip_norm": 0.01}, {"seed": 5},
    {"validation_data": (X[:5], SIGNS[:5])},
    {"validation_data": (np.array(X[:5]), np.array(SIGNS[:5]))},
    {"metrics": ["accuracy", "mae", "mse"]},
], ids=lambda kw: ",".join(kw))
def test_guard_fit_options_train_the_same(kw):
    both(mlp(4, 1), np.array(X), np.array(SIGNS), loss="hinge", **kw)


def test_guard_recording_and_a_second_fit_on_the_same_model():
    runs = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=3)
        first = fit(model, X, SIGNS, loss=hinge, epochs=2, batch_size=7, progress=False,
                    record=True, compile=compile)
        second = fit(model, X, NUMBERS, loss="mse", epochs=2, batch_size=7, progress=False,
                     compile=compile)
        runs.append((first, second))
    (first, second), (first_c, second_c) = runs
    for key in first:
        assert all(map(same, first_c[key], first[key]))
    assert all(map(same, second_c["loss"], second["loss"]))
    for name, norms in first.record.grad_norm.items():
        assert all(map(same, first_c.record.grad_norm[name], norms))


def mean_loss(p, t):
    return sum_of([(a - b) * (a - b) for a, b in zip(p, t, strict=True)]) * (1.0 / len(p))


def test_guard_users_loss_functions():
    both(mlp(4, 1), X, NUMBERS, loss=mean_loss)
    both(mlp(4, 1), X, NUMBERS, loss=lambda p, t: mse(p, t), batch_size=None)
    refused(mlp(4, 1), X, NUMBERS, "compile=False", loss=lambda p, t: mse(p, t, reduction="sum"))
    with pytest.raises(TypeError, match="must return a Value"):
        fit(MLP(2, [3, 1], seed=1), X, NUMBERS, loss=lambda p, t: 1.0, progress=False,
            compile=True)


class Compares(Module):
    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]

    def __call__(self, x):
        return max(self.w[0] * x[0], self.w[1] * x[1])


class Floats(Module):
    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]

    def __call__(self, x):
        return self.w[0] * float(x[0]) + self.w[1] * x[1]


@pytest.mark.parametrize("model", [Compares, Floats])
def test_guard_models_that_compare_or_call_float_are_refused(model):
    refused(model, X, NUMBERS, r"looks at a number.*compile=False", loss="mse")


@pytest.mark.parametrize("y, match", [
    ([True] * 24, "got bool"), (["a"] * 24, "got str"), ([None] * 24, "got NoneType"),
    ([[1.0, 2.0]] + [1.0] * 23, "target has 2"),
])
def test_guard_bad_targets_get_the_losses_own_errors(y, match):
    refused(mlp(3, 1), X, y, match, kind=(TypeError, ValueError), loss="mse")
    for bad in (True, "abc", None):
        with pytest.raises(TypeError, match="list of targets"):
            fit(MLP(2, [3, 1], seed=1), X, bad, progress=False, compile=True)


@pytest.mark.parametrize("head, loss, units", [
    ("softmax", "sparse_categorical_crossentropy", 3), ("sigmoid", "binary_crossentropy", 1),
    ("softmax", "mse", 3),
])
def test_guard_keras_heads_train_the_same(head, loss, units):
    y = {"sparse_categorical_crossentropy": SORTED_LABELS,
         "binary_crossentropy": [int(c > 0) for c in SORTED_LABELS],
         "mse": [[float(k == c) for k in range(3)] for c in SORTED_LABELS]}[loss]
    runs = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(units, activation=head)],
                              seed=1)
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"], jit_compile=jit)
        runs.append((model.fit(X, y, epochs=2, batch_size=8, verbose=0).history,
                     [p.data for p in model.parameters()]))
    (h1, p1), (h2, p2) = runs
    for key in h1:
        assert all(map(same, h2[key], h1[key]))
    assert all(same(a, b, floor=1.0) for a, b in zip(p2, p1, strict=True))


def test_a_wrapped_cross_entropy_on_a_softmax_head_trains_the_same():
    """The head's probabilities (the metrics' outputs) are not on the loss's path when the
    loss takes their logits. Before: "aux[0] is not on the way to the traced value", with no
    word of compile=False."""
    runs = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(3, activation="softmax")],
                              seed=1)
        model.compile(optimizer="adam", loss=lambda p, t: cross_entropy(p, t),
                      metrics=["accuracy"], jit_compile=jit)
        runs.append((model.fit(X, SORTED_LABELS, epochs=2, batch_size=8, verbose=0).history,
                     [p.data for p in model.parameters()]))
    (h1, p1), (h2, p2) = runs
    for key in h1:
        assert all(map(same, h2[key], h1[key]))
    assert all(same(a, b, floor=1.0) for a, b in zip(p2, p1, strict=True))


def reads_label_numbers(p, t):
    """Two outputs, a label read as a number (``.data``): not traceable either way."""
    def number(y):
        return y.data if isinstance(y, Value) else y

    return sum_of([(z[1] - (1.0 if number(y) > 0 else 0.0)) ** 2
                   for z, y in zip(p, t, strict=True)]) * (1 / len(p))


def test_a_loss_of_ones_own_reading_labels_is_refused_by_the_check_not_a_crash():
    """Before the one-hot retry was guarded: TypeError "'>' not supported between 'list' and
    'int'" (labels) or IndexError "list assignment index out of range" (numbers that are no
    labels) from deep inside; now tracing (it reads .data) or the agreement check refuses."""
    refused(mlp(3, 2), X, [0] * 12 + [1] * 12, r"(disagrees|looks at a number).*compile=False",
            loss=reads_label_numbers)
    # numbers that are no labels: the loss still reads .data, which tracing refuses
    refused(mlp(3, 2), X, [0.37 + k for k in range(24)], r"looks at a number.*compile=False",
            loss=reads_label_numbers)


class Logs(Module):
    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]

    def __call__(self, x):
        return (x[0] + 2.0).log() * self.w[0] + self.w[1] * x[1]


def test_errors_in_the_replay_say_which_examples_the_lanes_are():
    """Before: 'lane 4 of 8' with no way to know which example of X that was."""
    from autograd_core import DomainError, primitive

    Xs = [list(x) for x in X]
    Xs[13][0] = -5.0  # log(-3): a domain error at example 13 only
    with pytest.raises(DomainError) as info:
        fit(Logs(), Xs, NUMBERS, loss="mse", batch_size=8, progress=False, compile=True)
    notes = " ".join(info.value.__notes__)
    assert "lane 4 of 8" in notes and "examples [0, 3, 7, 10, 13," in notes
    bad = primitive("hostile_compile_bad", lambda x: 2.0 * x, lambda x, out: 2.0,
                    array={"forward": lambda x: 1.0})

    class UsesBad(Logs):
        def __call__(self, x):
            return bad(self.w[0] * x[0]) + self.w[1]

    error = refused(UsesBad, X, NUMBERS, "hostile_compile_bad.*returned a number", loss="mse")
    assert "compile=False" in " ".join(error.__notes__)


def test_a_value_the_loss_keeps_and_the_optimizer_trains_trains_the_same():
    """A learnable temperature outside the model, given to the optimizer. Before: the tape
    froze it at 1.0 while the optimizer moved it with a stale gradient from the check (loss
    0.12 where the interpreter's was 13968 after 3 epochs)."""
    runs = []
    for compile in (False, True):
        model = MLP(2, [3, 1], seed=1)
        temperature = Value(1.0)
        opt = nn.SGD([*model.parameters(), temperature], lr=0.5)
        history = fit(model, X, NUMBERS, loss=lambda p, t, T=temperature: mse(
            [q * T for q in p], t), optimizer=opt, epochs=3, batch_size=8, progress=False,
            compile=compile)
        runs.append((history["loss"], temperature.data, temperature.grad))
    (l1, t1, g1), (l2, t2, g2) = runs
    assert all(map(same, l2, l1)) and same(t2, t1) and same(g2, g1)


class Scaled(Module):
    """A constant kept in a private attribute (not a parameter), changed between epochs."""

    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]
        self._scale = Value(1.0)

    def __call__(self, x):
        return (self.w[0] * x[0] + self.w[1] * x[1]) * self._scale


def test_a_kept_constant_changed_by_a_callback_is_read_at_every_step():
    """Before: frozen in the tape at its number when tracing."""
    def anneal(model):
        def callback(epoch, figures):
            model._scale.data *= 2.0
        return callback

    runs = []
    for compile in (False, True):
        model = Scaled()
        runs.append(fit(model, X, NUMBERS, loss="mse", optimizer="sgd", lr=0.1, epochs=3,
                        batch_size=8, progress=False, compile=compile, callback=anneal(model)))
    assert all(map(same, runs[1]["loss"], runs[0]["loss"]))


class Precomputed(Module):
    """Uses a Value computed from a parameter before training: the interpreter keeps its
    number, a tape would compute it again."""

    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]
        self._double = self.w[0] * 2.0

    def __call__(self, x):
        return self._double * x[0] + self.w[1] * x[1]


def test_a_value_computed_before_training_is_refused():
    """Before: the tape recomputed it from the moving parameter: silently another model."""
    refused(Precomputed, X, NUMBERS, r"computed before training.*compile=False", loss="mse",
            optimizer="sgd")


class Detached(Module):
    """Takes a number from a parameter outside the graph (a stop-gradient by hand)."""

    def __init__(self) -> None:
        self.w = [Value(0.3), Value(-0.2)]

    def __call__(self, x):
        return Value(self.w[0].data) * x[0] * self.w[1] + self.w[0] * x[1]


def _unseen_reads(monkeypatch):
    """This module's reads of ``.data`` made invisible to the tracer (as the library's own
    are), to test the checks that catch what tracing cannot see."""
    from autograd_core import tape as tape_module

    monkeypatch.setattr(tape_module, "_OURS", (*tape_module._OURS, __name__.partition(".")[0]))


def test_a_number_taken_from_a_parameter_outside_the_graph_is_refused(monkeypatch):
    """Before: the tape froze Value(w.data) at its first number: silently another model
    (history 0.15% off after 3 epochs). Tracing sees the read of .data; where it cannot, the
    check at moved parameters does."""
    refused(Detached, X, NUMBERS, r"reading Value\.data while tracing.*compile=False",
            loss="mse", optimizer="sgd", lr=0.5)
    _unseen_reads(monkeypatch)
    error = refused(Detached, X, NUMBERS, r"disagrees.*parameters moved", loss="mse",
                    optimizer="sgd", lr=0.5)
    assert "compile=False" in str(error)


class Switches(Module):
    """Triples its slope once w passes 0.5 (a branch on w.data): far from where it starts."""

    def __init__(self) -> None:
        self.w = Value(0.1)

    def __call__(self, x):
        return self.w * x[0] * (3.0 if self.w.data > 0.5 else 1.0)


def test_a_branch_on_a_parameter_reached_during_training_stops_it_with_an_error(monkeypatch):
    """The checks before training are at w near 0.1; training takes w past 0.5, where the
    interpreter switches and the tape does not. Before: silently another model. Tracing
    sees the read of w.data; where it cannot, the checks during training do."""
    y = [2.0 * x[0] for x in X]
    with pytest.raises(ValueError, match=r"reading Value\.data while tracing"):
        fit(Switches(), X, y, loss="mse", optimizer="sgd", lr=0.5, epochs=20, batch_size=8,
            progress=False, compile=True)
    _unseen_reads(monkeypatch)
    with pytest.raises(ValueError, match=r"disagrees.*after \d+ training step.*compile=False"):
        fit(Switches(), X, y, loss="mse", optimizer="sgd", lr=0.5, epochs=20, batch_size=8,
            progress=False, compile=True)
    model = Switches()
    fit(model, X, y, loss="mse", optimizer="sgd", lr=0.5, epochs=20, batch_size=8,
        progress=False)
    assert model.w.data > 0.5  # the interpreter's model did switch


class Huge(Module):
    def __init__(self) -> None:
        self.w = Value(1.3e154)  # (w x)^2 is ~1.7e308: finite per example, not summed

    def __call__(self, x):
        return self.w * x[0]


def signed(p, t):
    """A loss of one's own that is the output itself: +inf for one example, -inf for another."""
    return sum_of(p) * (1 / len(p))


def test_losses_that_overflow_when_summed_give_the_interpreters_inf_and_nan():
    """Before: math.fsum raised 'intermediate overflow in fsum' (OverflowError) or '-inf +
    inf in fsum' (ValueError) where the interpreter's left-to-right sum gives inf or NaN."""
    Xs = [[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]]
    h1, _ = both(Huge, Xs, [0.0, 0.0, 0.0], loss="mse", epochs=1, batch_size=None)
    assert h1["loss"] == [math.inf]
    Xs = [[math.inf, 0.0], [-math.inf, 0.0]]
    h1, _ = both(Huge, Xs, [0.0, 0.0], loss=signed, epochs=1, batch_size=None)
    assert math.isnan(h1["loss"][0])


def random_configuration(R):
    """A small random training run: data, targets of a loss's forms, a model and options."""
    nin, n = R.randint(1, 3), R.randint(1, 20)
    Xr = [[R.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]
    loss = R.choice(["mse", "hinge", "bce", "cross_entropy"])
    if loss == "cross_entropy":
        k = R.randint(2, 4)
        labels = [R.randrange(k) for _ in range(n)]
        y = labels if R.random() < 0.5 else [[float(j == c) for j in range(k)] for c in labels]
    elif loss == "mse":
        k = R.randint(1, 3)
        y = [R.uniform(-1, 1) if k == 1 else [R.uniform(-1, 1) for _ in range(k)]
             for _ in range(n)]
    else:
        k = 1
        y = [R.choice([-1, 1]) if loss == "hinge" else R.choice([0, 1, 0.5]) for _ in range(n)]
    sizes = [R.randint(1, 5) for _ in range(R.randint(0, 2))] + [k]
    activation = R.choice(["relu", "tanh", "sigmoid", "leaky_relu", "gelu", "elu", "linear"])
    seed = R.randint(0, 99)
    kw = {"loss": loss, "epochs": R.randint(1, 3), "batch_size": R.choice([None, 1, 3, 64]),
          "optimizer": R.choice(["sgd", "adam", "rmsprop"]), "lr": R.choice([0.01, 0.3]),
          "l2_penalty": R.choice([0.0, 1e-3]), "clip_norm": R.choice([None, 0.5]),
          "seed": R.randint(0, 5)}
    if R.random() < 0.3:
        kw["validation_data"] = (Xr[: n // 2 + 1], y[: n // 2 + 1])
    return (lambda: MLP(nin, sizes, activation=activation, seed=seed)), Xr, y, kw


@pytest.mark.parametrize("case", range(30))
def test_guard_random_small_trainings_are_the_same_compiled(case):
    make_model, Xr, y, kw = random_configuration(random.Random(case))
    both(make_model, Xr, y, **kw)
