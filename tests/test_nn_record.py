"""nn.record: fit(..., record=True) keeps norms, dead/saturated fractions and snapshots."""

import math

import pytest

from nn import MLP, SGD, fit
from nn.record import History, Recorder, in_notebook, live_svg

X = [[1.0, 2.0], [-1.0, 0.5]]
Y = [1.0, -0.5]


def _set(model, numbers):
    for p, v in zip(model.parameters(), numbers, strict=True):
        p.data = v


def _tiny():
    """MLP 2-2-1 (relu, then linear) with chosen weights."""
    model = MLP(2, [2, 1], seed=0)
    #            L0.n0: w0  w1   b    L0.n1: w0   w1   b    L1.n0: w0  w1   b
    _set(model, [0.5, -0.25, 0.1, -0.3, 0.8, 0.0, 1.5, -2.0, 0.2])
    return model


def _hand_grads(numbers, xs=X, ys=Y):
    """MSE over xs, ys of the tiny model, differentiated by hand: per-parameter gradients."""
    a0, a1, ab, c0, c1, cb, v0, v1, vb = numbers
    g = [0.0] * 9
    for (x0, x1), t in zip(xs, ys, strict=True):
        z0 = a0 * x0 + a1 * x1 + ab
        z1 = c0 * x0 + c1 * x1 + cb
        h0, h1 = max(z0, 0.0), max(z1, 0.0)
        out = v0 * h0 + v1 * h1 + vb
        d = 2.0 * (out - t) / len(xs)  # d mean((out - t)^2) / d out
        g[6] += d * h0
        g[7] += d * h1
        g[8] += d
        d0 = d * v0 * (z0 > 0)
        d1 = d * v1 * (z1 > 0)
        g[0] += d0 * x0
        g[1] += d0 * x1
        g[2] += d0
        g[3] += d1 * x0
        g[4] += d1 * x1
        g[5] += d1
    return g


def test_norms_equal_hand_computation():
    model = _tiny()
    start = [p.data for p in model.parameters()]
    lr = 0.1
    history = fit(model, X, Y, loss="mse", optimizer=SGD(model, lr=lr), epochs=2,
                  metrics=(), progress=False, record=True)
    rec = history.record
    assert rec.layers == ["L0", "L1"]
    numbers = start
    for epoch in range(2):
        g = _hand_grads(numbers)
        assert rec.grad_norm["L0"][epoch] == pytest.approx(math.sqrt(sum(v * v for v in g[:6])),
                                                           rel=1e-12)
        assert rec.grad_norm["L1"][epoch] == pytest.approx(math.sqrt(sum(v * v for v in g[6:])),
                                                           rel=1e-12)
        numbers = [p - lr * d for p, d in zip(numbers, g, strict=True)]
        assert rec.weight_norm["L0"][epoch] == pytest.approx(
            math.sqrt(sum(v * v for v in numbers[:6])), rel=1e-12)
        assert rec.weight_norm["L1"][epoch] == pytest.approx(
            math.sqrt(sum(v * v for v in numbers[6:])), rel=1e-12)
        assert rec.snapshots[epoch + 1] == pytest.approx(numbers, rel=1e-12)
    assert rec.snapshots[0] == start


def test_minibatch_grad_norm_is_the_mean_over_steps():
    model = _tiny()
    start = [p.data for p in model.parameters()]
    history = fit(model, X, Y, loss="mse", optimizer=SGD(model, lr=1e-300), epochs=1,
                  batch_size=1, metrics=(), progress=False, record=True, seed=None)
    norms = []
    for x, t in zip(X, Y, strict=True):  # lr 1e-300: both steps see the starting weights
        g = _hand_grads(start, [x], [t])
        norms.append(math.sqrt(sum(v * v for v in g[:6])))
    assert history.record.grad_norm["L0"][0] == pytest.approx(sum(norms) / 2, rel=1e-12)


def test_snapshots_are_exact_copies_of_each_epoch():
    Xm = [[0.1 * i, (-1) ** i * 0.3] for i in range(10)]
    ym = [1 if i % 3 else -1 for i in range(10)]
    model = MLP(2, [4, 1], seed=5)
    history = fit(model, Xm, ym, loss="hinge", optimizer="adam", lr=0.05, epochs=4,
                  progress=False, record=True)
    rec = history.record
    assert sorted(rec.snapshots) == [0, 1, 2, 3, 4]
    for e in range(5):  # the same run stopped after e epochs ends with those numbers
        other = MLP(2, [4, 1], seed=5)
        fit(other, Xm, ym, loss="hinge", optimizer="adam", lr=0.05, epochs=e, progress=False)
        assert rec.snapshots[e] == [p.data for p in other.parameters()]
    final = list(rec.snapshots[4])
    for p in model.parameters():
        p.data += 1.0
    assert rec.snapshots[4] == final  # a copy, not the live parameters
    assert rec.parameter_names == [n for n, _ in model.named_parameters()]


def test_record_off_changes_nothing():
    runs = []
    for record in (False, True):
        model = MLP(2, [6, 6, 1], seed=2)
        h = fit(model, X * 3, [1, -1] * 3, loss="hinge", optimizer="adam", lr=0.05, epochs=6,
                batch_size=2, validation_data=(X, [1, -1]), progress=False, record=record,
                seed=7)
        runs.append((dict(h), model.state_dict(), h.record))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    assert runs[0][2] is None and isinstance(runs[1][2], Recorder)
    assert runs[1][2].history["val_loss"] == runs[1][0]["val_loss"]


def test_record_off_never_calls_the_recorder(monkeypatch):
    calls = []
    monkeypatch.setattr(Recorder, "after_backward", lambda self: calls.append(1))
    h = fit(_tiny(), X, Y, loss="mse", epochs=3, progress=False)
    assert calls == [] and isinstance(h, History) and h.record is None
    h = fit(_tiny(), X, Y, loss="mse", epochs=3, progress=False, record=True)
    assert len(calls) == 3


def test_dead_and_saturated_fractions():
    model = MLP(2, [4, 1], seed=0)
    layer = model.layers[0]
    for n in layer.neurons:
        n.b.data = 100.0  # alive on every row
    layer.neurons[1].b.data = -100.0  # relu input < 0 on every row: dead
    h = fit(model, X, Y, loss="mse", optimizer=SGD(model, lr=1e-300), epochs=1, progress=False,
            record=True)
    assert h.record.dead["L0"] == [0.25]
    assert h.record.saturated["L0"] == [None] and h.record.dead["L1"] == [None]

    model = MLP(2, [5, 5, 1], activation="tanh", seed=0)
    model.layers[1].neurons[0].b.data = 50.0   # tanh'(50) ~ 0: saturated on every row
    model.layers[1].neurons[3].b.data = -50.0
    h = fit(model, X, Y, loss="mse", optimizer=SGD(model, lr=1e-300), epochs=1, progress=False,
            record=True)
    assert h.record.saturated["L1"] == [0.4] and h.record.saturated["L0"] == [0.0]
    assert h.record.activations == {"L0": "tanh", "L1": "tanh", "L2": "linear"}


def test_snapshot_budget_for_large_models_and_early_stop():
    model = MLP(2, [8, 1], seed=0)  # 33 parameters
    rec = Recorder(max_numbers=33 * 5)
    fit(model, X, Y, loss="mse", epochs=40, progress=False, record=rec)
    assert sorted(rec.snapshots) == [0, 10, 20, 30, 40]
    rec = Recorder("all")
    fit(MLP(2, [8, 1], seed=0), X, Y, loss="mse", epochs=10, progress=False, record=rec,
        callback=lambda epoch, figures: epoch == 2)
    assert sorted(rec.snapshots) == [0, 1, 2, 3] and rec.epochs == 3
    rec = Recorder([0, 5])
    fit(MLP(2, [8, 1], seed=0), X, Y, loss="mse", epochs=7, progress=False, record=rec)
    assert sorted(rec.snapshots) == [0, 5, 7]
    assert len(rec.grad_norm["L0"]) == 7 and rec.to_dict()["epochs"] == 7


def test_bad_record_arguments():
    with pytest.raises(TypeError, match="record must be True, False or a Recorder"):
        fit(_tiny(), X, Y, epochs=1, progress=False, record="yes")
    with pytest.raises(ValueError, match="snapshots must be"):
        Recorder("some")
    with pytest.raises(ValueError, match="snapshot epochs must be ints >= 0"):
        Recorder([-1])
    with pytest.raises(ValueError, match="max_rows must be a positive int"):
        Recorder(max_rows=0)


def test_live_outside_a_notebook_is_the_bar(capsys):
    assert not in_notebook()
    h = fit(_tiny(), X, Y, loss="mse", epochs=2, live=True)
    assert len(h["loss"]) == 2
    assert "epoch" in capsys.readouterr().err  # the tqdm bar, as without live


def test_live_svg_draws_curve_and_boundary():
    model = _tiny()
    svg = live_svg(model, X, Y, {"loss": [1.0, 0.5, 0.25]})
    assert svg.startswith("<svg") and 'class="loss"' in svg and 'class="boundary"' in svg
    assert svg.count("<circle") == 2
    assert 'class="boundary"' not in live_svg(MLP(3, [1]), [[1.0, 2.0, 3.0]], [1.0],
                                              {"loss": []})


def test_public_names_and_a_function_activation_records_no_name() -> None:
    import nn
    import viz
    from nn.record import _activation

    assert nn.Recorder is Recorder and nn.History.__name__ == "History"
    assert viz.training_page.__module__ == "viz.training" and callable(viz.point_loss)
    layer = nn.Layer(2, 3, activation=lambda v: v * v.sigmoid(), seed=0)
    assert _activation(layer) is None
    assert _activation(nn.Layer(2, 3, activation="tanh", seed=0)) == "tanh"


def test_live_in_a_notebook_makes_no_tqdm_bar(monkeypatch, capsys):
    """In Jupyter, live mode draws its own output: tqdm (whose ``tqdm.auto`` warns
    "IProgress not found" in a red stderr box without ipywidgets) is not even imported."""
    import sys
    import warnings

    import nn.train as train_module

    shown = []

    class FakeView:
        def __init__(self, model, rows, targets, history):
            self.history = history

        def __call__(self, epoch):
            shown.append(epoch)

    monkeypatch.setattr(train_module, "in_notebook", lambda: True)
    monkeypatch.setattr(train_module, "LiveView", FakeView)
    for name in ("tqdm", "tqdm.auto", "tqdm.autonotebook", "tqdm.notebook", "tqdm.std"):
        monkeypatch.setitem(sys.modules, name, None)  # importing any of them fails
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit(_tiny(), X, Y, loss="mse", epochs=3, live=True, progress=True)
    assert len(h["loss"]) == 3 and shown == [0, 1, 2]
    assert capsys.readouterr().err == ""
