"""fit(compile=True): the traced per-example loss on lanes trains as the interpreter does."""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import numpy as np
import pytest

import nn
from autograd_core import Value
from nn import MLP, SGD, Adam, fit, linear_decay
from nn.datasets import digits, make_moons
from nn.losses import binary_cross_entropy, cross_entropy, hinge, mse
from nn.module import Module

TOL = 1e-9


def same_history(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert len(a[key]) == len(b[key]) > 0, key
        for x, y in zip(a[key], b[key], strict=True):
            assert abs(x - y) <= TOL * max(abs(y), 1e-12), (key, x, y)


def same_parameters(m1, m2):
    for p, q in zip(m1.parameters(), m2.parameters(), strict=True):
        assert abs(p.data - q.data) <= TOL * max(abs(q.data), 1.0)


def both(make_model, make_opt, X, y, **kw):
    runs = []
    for compile in (False, True):
        model = make_model()
        history = fit(model, X, y, optimizer=make_opt(model), progress=False, compile=compile,
                      **kw)
        runs.append((model, history))
    (m1, h1), (m2, h2) = runs
    same_history(h2, h1)
    same_parameters(m2, m1)
    return h1, h2


def test_the_moons_demo_trains_the_same_compiled():
    X, y = make_moons(100, noise=0.1, seed=1337)
    h1, _ = both(lambda: MLP(2, [16, 16, 1], seed=1337),
                 lambda m: SGD(m, lr=1.0, schedule=linear_decay(100, final=0.1)),
                 X, y, loss=hinge, epochs=40, l2_penalty=1e-4)
    assert h1["accuracy"][-1] > 0.9  # it did learn: the comparison is not of two flat runs


def test_digits_train_the_same_compiled_with_validation():
    X_train, y_train, X_test, y_test = digits(test_fraction=0.25, seed=0)
    h1, h2 = both(lambda: MLP(64, [16, 10], seed=0), lambda m: Adam(m, lr=0.01),
                  X_train[:300], y_train[:300], loss=cross_entropy, epochs=2, batch_size=32,
                  validation_data=(X_test[:100], y_test[:100]))
    assert h2["val_accuracy"] == h1["val_accuracy"]
    assert h1["val_accuracy"][-1] > 0.3  # 2 epochs on 300 images: learning, far above 0.1


def test_regression_with_several_outputs_and_a_short_last_batch():
    rng = random.Random(3)
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(50)]
    y = [[x[0] * x[1], x[2] - x[0]] for x in X]
    both(lambda: MLP(3, [8, 2], activation="tanh", seed=2), lambda m: Adam(m, lr=0.02),
         X, y, loss=mse, epochs=3, batch_size=16, metrics=["mae"], clip_norm=1.0)


def test_binary_cross_entropy_with_fractional_targets():
    rng = random.Random(4)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(40)]
    y = [rng.choice([0, 1, 0.25]) for _ in X]
    both(lambda: MLP(2, [6, 1], seed=5), lambda m: SGD(m, lr=0.3), X, y,
         loss=binary_cross_entropy, epochs=3, batch_size=8)


def test_one_hot_rows_and_a_keras_softmax_head():
    rng = random.Random(6)
    X = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(30)]
    labels = [int(x[0] > 0) + int(x[1] > 0) for x in X]
    hot = [[1.0 if k == c else 0.0 for k in range(3)] for c in labels]
    results = []
    for jit in (False, True):
        model = nn.Sequential([nn.Dense(5, activation="relu"), nn.Dense(3, activation="softmax")],
                              seed=1)
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=jit)
        results.append((model, model.fit(X, hot, epochs=3, batch_size=8, verbose=0).history))
    same_history(results[1][1], results[0][1])
    same_parameters(results[1][0], results[0][0])


def test_recording_sees_the_same_gradients():
    X, y = make_moons(40, noise=0.1, seed=2)
    h1, h2 = (fit(MLP(2, [4, 1], seed=9), X, y, loss=hinge, optimizer="sgd", lr=0.1, epochs=3,
                  batch_size=10, record=True, progress=False, compile=c) for c in (False, True))
    for name, norms in h1.record.grad_norm.items():
        np.testing.assert_allclose(h2.record.grad_norm[name], norms, rtol=TOL)


def test_a_loss_that_is_not_a_mean_is_refused_before_training():
    X, y = make_moons(20, noise=0.1, seed=2)
    model = MLP(2, [3, 1], seed=1)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="compile=False"):
        fit(model, X, y, loss=lambda p, t: hinge(p, t, reduction="sum"), epochs=1,
            progress=False, compile=True)
    assert [p.data for p in model.parameters()] == before


class Branchy(Module):
    """A model that decides with an ``if`` on a Value: not traceable."""

    def __init__(self) -> None:
        self.w = Value(0.5)

    def __call__(self, x):
        return self.w * x[0] if x[0] > 0 else self.w * x[1]

    def parameters(self):
        return [self.w]


def test_a_model_that_branches_on_a_value_is_refused():
    X = [[1.0, 2.0], [-1.0, 3.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the tracer's warning becomes our ValueError
        with pytest.raises(ValueError, match=r"looks at a number.*compile=False"):
            fit(Branchy(), X, [0.0, 1.0], loss="mse", epochs=1, progress=False, compile=True)


def test_bad_targets_get_the_loss_s_own_error():
    X, _ = make_moons(10, noise=0.1, seed=2)
    with pytest.raises(ValueError, match=r"hinge: target 3 is 2\.0"):
        fit(MLP(2, [3, 1], seed=1), X, [1, -1, 1, 2] + [1] * 6, loss=hinge, epochs=1,
            progress=False, compile=True)
    with pytest.raises(ValueError, match="cross_entropy: label 1 is 7"):
        fit(MLP(2, [3], seed=1), X, [0, 7] + [1] * 8, loss=cross_entropy, epochs=1,
            progress=False, compile=True)


def test_compile_without_numpy_says_what_to_install():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from nn import MLP, fit\n"
        "try:\n"
        "    fit(MLP(1, [1], seed=0), [[0.0], [1.0]], [0.0, 1.0], epochs=1, progress=False,"
        " compile=True)\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "pip install 'autograd-core[fast]'" in out
    assert "fit(compile=True)" in out and "compile=False" in out


def test_the_replay_is_a_few_groups_whatever_the_width():
    """A layer runs as one matrix product and one activation call, so a wider network has
    the same number of NumPy calls per step (the source of the speed, shown structurally)."""
    from nn.compiled import CompiledLoss

    X, y = make_moons(20, noise=0.1, seed=2)
    counts = []
    for width in (4, 32):
        compiled = CompiledLoss(MLP(2, [width, width, 1], seed=1), hinge, X, y)
        names = [g.name for g in compiled.plan.groups]
        assert names.count("matmul") == 3
        counts.append(len(names))
    assert counts[0] == counts[1]


def test_a_bad_validation_target_is_refused_before_any_parameter_moves():
    X, y = make_moons(20, noise=0.1, seed=2)
    for compile in (False, True):
        model = MLP(2, [3, 1], seed=1)
        before = [p.data for p in model.parameters()]
        with pytest.raises(ValueError, match="hinge: target 1 is 5"):
            fit(model, X, y, loss=hinge, epochs=2, progress=False, compile=compile,
                validation_data=(X[:3], [1, 5, -1]))
        assert [p.data for p in model.parameters()] == before


def test_compile_must_be_a_bool_and_targets_may_be_0d_arrays():
    X, y = make_moons(12, noise=0.1, seed=2)
    with pytest.raises(TypeError, match="compile must be True or False"):
        fit(MLP(2, [3, 1], seed=1), X, y, loss=hinge, epochs=1, progress=False, compile="yes")
    zero_d = [np.array(float(t)) for t in y]
    h1, h2 = (fit(MLP(2, [3, 1], seed=1), X, zero_d, loss=hinge, epochs=2, progress=False,
                  compile=c) for c in (False, True))
    same_history(h2, h1)


class ReadsData(Module):
    """The newcomer's model: a branch on ``out.data`` that every first-batch example takes
    the same way (all outputs positive at the start), so the agreement checks alone pass."""

    def __init__(self) -> None:
        self.mlp = MLP(2, [4, 1], seed=0)

    def __call__(self, x):
        out = self.mlp(x)
        return out * 2.0 if out.data > -1e9 else out

    def parameters(self):
        return self.mlp.parameters()


def test_a_model_reading_data_is_refused_while_tracing():
    X, y = make_moons(20, noise=0.1, seed=1)
    model = ReadsData()
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"reading Value\.data while tracing.*compile=False"):
        fit(model, X, y, loss="hinge", epochs=2, progress=False, compile=True)
    assert [p.data for p in model.parameters()] == before
    fit(model, X, y, loss="hinge", epochs=1, progress=False)  # the interpreter trains it
