"""nn.train: fit, evaluate, predict."""

import io
import math

import pytest

from autograd_core import Value
from nn import MLP, SGD, accuracy, evaluate, fit, predict
from nn.datasets import make_moons

# A tiny separable problem: the class is the sign of x0 + x1 - 1 (margin >= 0.3).
X_SEP = [[0.0, 0.0], [0.2, 0.3], [0.1, 0.4], [1.0, 1.0], [0.9, 1.4], [1.3, 0.8],
         [0.0, 0.5], [1.5, 0.5]]
Y_SEP = [-1 if a + b < 1 else 1 for a, b in X_SEP]


def test_fit_reaches_full_accuracy_deterministically():
    runs = []
    for _ in range(2):
        model = MLP(2, [8, 1], seed=3)
        history = fit(model, X_SEP, Y_SEP, loss="hinge", optimizer="adam", lr=0.05,
                      epochs=40, progress=False)
        runs.append((history, model.state_dict()))
        assert history["accuracy"][-1] == 1.0
        assert evaluate(model, X_SEP, Y_SEP, loss="hinge")["accuracy"] == 1.0
        assert [1 if s > 0 else -1 for s in predict(model, X_SEP)] == Y_SEP
    assert runs[0] == runs[1]  # same seed, same numbers, bit for bit


def test_minibatches_validation_and_history_shape():
    X, y = make_moons(40, noise=0.05, seed=2)
    Xv, yv = make_moons(20, noise=0.05, seed=3)
    model = MLP(2, [8, 8, 1], seed=1)
    history = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.02, epochs=5,
                  batch_size=8, validation_data=(Xv, yv), progress=False, seed=4)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 5 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    final = evaluate(model, Xv, yv, loss="hinge")
    assert final["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-12)


def test_binary_cross_entropy_with_zero_one_labels_and_l2():
    y01 = [0 if t < 0 else 1 for t in Y_SEP]
    model = MLP(2, [8, 1], seed=3)
    history = fit(model, X_SEP, y01, loss="binary_cross_entropy", optimizer="adam", lr=0.05,
                  epochs=60, l2_penalty=1e-4, clip_norm=5.0, progress=False)
    assert history["accuracy"][-1] == 1.0


def test_cross_entropy_three_classes():
    X = [[0.0, 0.0], [0.1, 0.2], [1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.2, 0.9]]
    y = [0, 0, 1, 1, 2, 2]
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=80,
                  progress=False)
    assert history["accuracy"][-1] == 1.0
    outs = predict(model, X)
    assert all(isinstance(o, list) and len(o) == 3 for o in outs)
    assert [max(range(3), key=o.__getitem__) for o in outs] == y


def test_micrograd_style_training_step_equals_a_hand_written_one():
    X, y = make_moons(20, noise=0.1, seed=5)
    a = MLP(2, [4, 1], seed=8)
    b = MLP(2, [4, 1], seed=8)
    fit(a, X, y, loss="hinge", optimizer=SGD(a, lr=0.5), epochs=1, l2_penalty=1e-3,
        progress=False)
    scores = [b(x) for x in X]
    loss = sum((1 + -t * s).relu() for t, s in zip(y, scores, strict=True)) * (1 / len(X))
    loss = loss + 1e-3 * sum(p * p for p in b.parameters())
    b.zero_grad()
    loss.backward()
    for p in b.parameters():
        p.data -= 0.5 * p.grad
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert pa.data == pytest.approx(pb.data, rel=1e-12, abs=1e-15)


def test_numpy_inputs():
    np = pytest.importorskip("numpy")
    X = np.array(X_SEP)
    y = np.array(Y_SEP)
    model = MLP(2, [8, 1], seed=3)
    history = fit(model, X, y, loss="hinge", optimizer="adam", lr=0.05, epochs=40,
                  progress=False)
    assert history["accuracy"][-1] == 1.0
    assert predict(model, X) == predict(model, X_SEP)


def test_progress_bar_shows_loss_and_metrics(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    fit(MLP(2, [2, 1], seed=0), X_SEP, Y_SEP, loss="hinge", optimizer="sgd", epochs=3,
        progress=True)
    text = stream.getvalue()
    assert "3/3" in text and "loss=" in text and "accuracy=" in text
    stream.truncate(0)
    fit(MLP(2, [2, 1], seed=0), X_SEP, Y_SEP, loss="hinge", epochs=2)  # not a terminal: quiet
    assert stream.getvalue() == ""


def test_callback_can_stop_training():
    seen = []
    history = fit(MLP(2, [2, 1], seed=0), X_SEP, Y_SEP, loss="hinge", epochs=10,
                  progress=False, callback=lambda epoch, figs: seen.append(epoch) or epoch == 2)
    assert seen == [0, 1, 2] and len(history["loss"]) == 3


def test_wrong_shapes_give_clear_errors():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match=r"X\[1\] has 3 values; the model expects 2 inputs"):
        fit(model, [[0.0, 1.0], [1.0, 2.0, 3.0]], [1, -1], loss="hinge", progress=False)
    with pytest.raises(ValueError, match="2 targets for 3 samples"):
        fit(model, [[0.0, 1.0]] * 3, [1, -1], loss="hinge", progress=False)
    with pytest.raises(ValueError, match=r"X\[0\] must be a row"):
        predict(model, [1.0, 2.0])
    with pytest.raises(ValueError, match="has 1 values; the model expects 2"):
        evaluate(model, [[1.0]], [1], loss="hinge")
    with pytest.raises(ValueError, match="empty"):
        fit(model, [], [], progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, X_SEP, Y_SEP, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, X_SEP, Y_SEP, epochs=-1, progress=False)
    with pytest.raises(ValueError, match="unknown loss"):
        fit(model, X_SEP, Y_SEP, loss="nope", progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        fit(model, X_SEP, Y_SEP, optimizer="lbfgs", progress=False)
    with pytest.raises(TypeError, match=r"X\[0\]\[1\] must be a number"):
        fit(model, [[0.0, "a"]], [1], progress=False)


def test_accuracy_rules():
    assert accuracy([0.5, -0.5, 0.1], [1, -1, -1]) == pytest.approx(2 / 3)
    assert accuracy([0.5, -0.5], [1, 0]) == 1.0            # 0/1 labels, logits
    assert accuracy([[0.1, 0.7, 0.2]], [1]) == 1.0          # argmax vs class index
    assert accuracy([[0.1, 0.7, 0.2]], [[0, 0, 1]]) == 0.0  # one-hot target
    assert accuracy([Value(1.0)], [1]) == 1.0


def test_predict_records_no_graph_and_matches_forward():
    model = MLP(2, [3, 2], seed=0)
    outs = predict(model, [[0.1, 0.2], [1.0, -1.0]])
    assert outs[1] == [v.data for v in model([1.0, -1.0])]
    assert all(type(v) is float for o in outs for v in o)
    assert math.isfinite(evaluate(model, [[0.1, 0.2]], [[0.0, 1.0]])["loss"])


# ----------------------------------------------------------------------------- defaults
def test_default_metrics_depend_on_the_loss():
    from nn import cross_entropy, default_metrics, hinge, mse

    xs = [[0.1 * i] for i in range(8)]
    ys = [math.sin(x[0]) for x in xs]
    model = MLP(1, [4, 1], seed=0)
    history = fit(model, xs, ys, loss="mse", epochs=2, progress=False,
                  validation_data=(xs, ys))
    assert list(history) == ["loss", "val_loss"]  # no accuracy on a regression
    assert list(evaluate(model, xs, ys, loss="mse")) == ["loss"]
    assert list(evaluate(model, xs, ys, loss=mse)) == ["loss"]
    history = fit(MLP(2, [4, 1], seed=0), X_SEP, Y_SEP, loss="hinge", epochs=1,
                  progress=False)
    assert list(history) == ["loss", "accuracy"]
    model = MLP(2, [4, 3], seed=0)
    assert list(evaluate(model, X_SEP, [0, 1, 2] * 2 + [0, 1],
                         loss=cross_entropy)) == ["loss", "accuracy"]
    one = MLP(2, [1], seed=0)
    assert list(evaluate(one, X_SEP, [0, 1] * 4, loss="mse", metrics=["accuracy"])) == [
        "loss", "accuracy"]  # asked for, it is given
    for loss in ("hinge", hinge, "binary_cross_entropy", "bce", "cross_entropy"):
        assert default_metrics(loss) == ("accuracy",)
    from nn.keras import BinaryCrossentropy, MeanSquaredError

    assert default_metrics(BinaryCrossentropy()) == ("accuracy",)
    for loss in ("mse", mse, lambda p, t: p[0], MeanSquaredError()):
        assert default_metrics(loss) == ()
    with pytest.raises(TypeError, match="write metrics=\\['accuracy'\\]"):
        fit(model, X_SEP, [0] * 8, loss="cross_entropy", metrics="accuracy", progress=False)


def test_mae_and_mse_metrics():
    xs, ys = [[1.0], [2.0]], [1.0, 3.0]
    model = MLP(1, [1], seed=0)
    out = predict(model, xs)
    figures = evaluate(model, xs, ys, loss="mse", metrics=["mae", "mse"])
    expected = sum(abs(o - t) for o, t in zip(out, ys, strict=True)) / 2
    assert figures["mae"] == pytest.approx(expected)
    assert figures["mse"] == pytest.approx(figures["loss"])


def test_accuracy_takes_labels_one_hot_and_probability_targets():
    outs = [[2.0, 0.1, 0.3], [0.0, 1.0, -1.0], [0.2, 0.1, 0.9]]  # classes 0, 1, 2
    assert accuracy(outs, [0, 1, 2]) == 1.0
    assert accuracy(outs, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]) == 1.0
    assert accuracy(outs, [[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4]]) == 1.0
    assert accuracy(outs, [[0, 1, 0], [0, 1, 0], [0, 0, 1]]) == pytest.approx(2 / 3)
    # one output: score > 0 is positive; a target is positive above 0.5 (-1/+1, 0/1, p)
    scores = [1.5, -0.5, 0.2, -2.0]
    assert accuracy(scores, [1, -1, 1, -1]) == 1.0
    assert accuracy(scores, [1, 0, 1, 0]) == 1.0
    assert accuracy(scores, [0.9, 0.2, 0.6, 0.4]) == 1.0
    assert accuracy(scores, [[1.0], [0.0], [1.0], [0.3]]) == 1.0


def test_predict_classes():
    from nn import predict_classes

    model = MLP(2, [4, 3], seed=1)
    outs = predict(model, X_SEP)
    labels = predict(model, X_SEP, classes=True)
    assert labels == [max(range(3), key=o.__getitem__) for o in outs]
    assert predict_classes(model, X_SEP) == labels
    assert all(type(c) is int for c in labels)
    binary = MLP(2, [4, 1], seed=1)
    scores = predict(binary, X_SEP)
    assert predict(binary, X_SEP, classes=True) == [int(s > 0) for s in scores]
