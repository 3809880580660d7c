"""nn.keras: Sequential/Dense/compile/fit as Keras writes them, on the same MLP, fit and losses."""

from __future__ import annotations

import math

import pytest

import nn
from autograd_core import Value
from nn import MLP, Dense, Sequential, cross_entropy, fit
from nn import keras as K


# ----------------------------------------------------------------------------- names
@pytest.mark.parametrize(("name", "fn"), [
    ("mse", nn.mse), ("mean_squared_error", nn.mse),
    ("sparse_categorical_crossentropy", nn.cross_entropy),
    ("categorical_crossentropy", nn.cross_entropy),
    ("binary_crossentropy", nn.binary_cross_entropy), ("hinge", nn.hinge),
    ("cross_entropy", nn.cross_entropy),
])
def test_keras_loss_names_resolve_to_our_losses(name: str, fn: object) -> None:
    assert K.get_loss(name) is fn


@pytest.mark.parametrize(("obj", "fn"), [
    (K.MeanSquaredError(), nn.mse), (K.SparseCategoricalCrossentropy(), nn.cross_entropy),
    (K.CategoricalCrossentropy(), nn.cross_entropy),
    (K.BinaryCrossentropy(), nn.binary_cross_entropy), (nn.hinge, nn.hinge),
])
def test_keras_loss_objects_resolve_to_our_losses(obj: object, fn: object) -> None:
    assert K.get_loss(obj) is fn


@pytest.mark.parametrize(("name", "cls", "lr"), [
    ("sgd", nn.SGD, 0.01), ("adam", nn.Adam, 0.001), ("rmsprop", nn.RMSProp, 0.001),
    ("Adam", nn.Adam, 0.001),
])
def test_keras_optimizer_names_make_our_optimizers_with_keras_rates(
        name: str, cls: type, lr: float) -> None:
    model = Sequential([Dense(2, input_shape=(3,))], seed=0)
    model.compile(optimizer=name, loss="mse")
    opt = model._optimizer()
    assert type(opt) is cls and opt.lr == lr
    assert opt.params == model.parameters() or list(opt.params) == model.parameters()


def test_keras_optimizer_objects_take_learning_rate() -> None:
    model = Sequential([Dense(1, input_shape=(2,))], seed=0)
    model.compile(optimizer=K.Adam(learning_rate=0.05), loss="mse")
    opt = model._optimizer()
    assert isinstance(opt, nn.Adam) and opt.lr == 0.05
    model.compile(optimizer=K.SGD(learning_rate=0.2, momentum=0.9), loss="mse")
    opt = model._optimizer()
    assert isinstance(opt, nn.SGD) and opt.lr == 0.2 and opt.momentum == 0.9
    made = nn.SGD(model.parameters(), lr=0.3)
    model.compile(optimizer=made, loss="mse")
    assert model._optimizer() is made


def test_unknown_names_are_clear_errors() -> None:
    model = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        model.compile(optimizer="adamw", loss="mse")
    with pytest.raises(ValueError, match="unknown loss 'msle'"):
        model.compile(optimizer="adam", loss="msle")
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        model.compile(optimizer="adam", loss="mse", metrics=["auc"])
    with pytest.raises(ValueError, match="compile the model first"):
        model.fit([[1.0, 2.0]], [1.0], verbose=0)
    with pytest.raises(ValueError, match="units must be a positive int"):
        Dense(0)
    with pytest.raises(ValueError, match="unknown activation 'swish2'"):
        Dense(3, activation="swish2")
    with pytest.raises(ValueError, match="input_shape must be"):
        Dense(3, input_shape=(28, 28))
    with pytest.raises(ValueError, match="softmax is for the last layer"):
        Sequential([Dense(3, activation="softmax"), Dense(1)])


def test_accuracy_metric_names_give_accuracy() -> None:
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))], seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    X, y = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0, 1, 2]
    h = model.fit(X, y, epochs=2, batch_size=None, verbose=0)
    assert list(h.history) == ["loss", "accuracy"] and h.epoch == [0, 1]
    loss, acc = model.evaluate(X, y)
    assert acc == nn.accuracy(nn.predict(model, X), y)
    assert model.evaluate(X, y, return_dict=True) == {"loss": loss, "accuracy": acc}


# ----------------------------------------------------------------------------- same as MLP
def _grads(params: list[Value]) -> list[float]:
    return [p.grad for p in params]


def test_sequential_is_the_equivalent_mlp_outputs_and_gradients() -> None:
    seq = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(4, activation="tanh"),
                      Dense(2)], seed=5)
    mlp = MLP(3, [4, 4, 2], activation="tanh", seed=5)
    assert seq.state_dict() == mlp.state_dict()  # same seed, same initial weights
    x = [0.3, -1.2, 0.7]
    a, b = seq(x), mlp(x)
    assert [v.data for v in a] == [v.data for v in b]
    assert [p.label for p in seq.parameters()] == [p.label for p in mlp.parameters()]
    la = cross_entropy([a], [1])
    lb = cross_entropy([b], [1])
    la.backward()
    lb.backward()
    assert _grads(seq.parameters()) == _grads(mlp.parameters())
    assert seq.predict_one(x) == mlp.predict_one(x)


def test_softmax_sequential_trains_exactly_as_an_mlp_on_logits() -> None:
    seq = Sequential([Dense(5, activation="relu", input_shape=(2,)),
                      Dense(3, activation="softmax")], seed=1)
    mlp = MLP(2, [5, 3], seed=1)
    mlp.load_state_dict(seq.state_dict())
    X = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [0.0, 0.0]]
    y = [0, 2, 1, 1]
    seq.compile(optimizer=K.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    hs = seq.fit(X, y, epochs=3, batch_size=2, verbose=0)
    hm = fit(mlp, X, y, loss="cross_entropy", optimizer=nn.SGD(mlp.parameters(), lr=0.1),
             epochs=3, batch_size=2, progress=False)
    assert seq.state_dict() == mlp.state_dict()
    assert hs.history == dict(hm)
    # outside training the softmax is applied: probabilities of the MLP's logits
    z = mlp.predict_one(X[0])
    e = [math.exp(v - max(z)) for v in z]
    assert seq.predict([X[0]])[0] == pytest.approx([v / sum(e) for v in e], rel=1e-12)
    assert seq.predict_classes(X) == nn.predict(mlp, X, classes=True)


def test_sigmoid_head_with_binary_crossentropy_trains_on_the_logit() -> None:
    seq = Sequential([Dense(3, activation="relu", input_shape=(2,)),
                      Dense(1, activation="sigmoid")], seed=2)
    mlp = MLP(2, [3, 1], seed=2)
    mlp.load_state_dict(seq.state_dict())
    X, y = [[1.0, 2.0], [-1.0, 0.5], [0.3, -0.3]], [1, 0, 1]
    seq.compile(optimizer="sgd", loss="binary_crossentropy")
    seq.fit(X, y, epochs=2, batch_size=None, verbose=0)
    fit(mlp, X, y, loss="binary_cross_entropy", optimizer=nn.SGD(mlp.parameters(), lr=0.01),
        epochs=2, progress=False)
    assert seq.state_dict() == mlp.state_dict()
    p = seq.predict(X)
    assert all(0.0 < row[0] < 1.0 for row in p)
    assert seq(X[0]).data == pytest.approx(p[0][0], rel=1e-12)


# ----------------------------------------------------------------------------- stability
def _big_logits_model() -> Sequential:
    model = Sequential([Dense(2, activation="softmax", input_shape=(1,))], seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 1000.0, "layers.0.neurons.0.b": 0.0,
                           "layers.0.neurons.1.w.0": -1000.0, "layers.0.neurons.1.b": 0.0})
    return model


def test_softmax_cross_entropy_is_stable_for_logits_of_plus_minus_1000() -> None:
    model = _big_logits_model()
    model.compile(optimizer=K.SGD(learning_rate=1e-4), loss="sparse_categorical_crossentropy")
    assert model.evaluate([[1.0]], [1]) == pytest.approx(2000.0)
    assert model.evaluate([[1.0]], [0]) == 0.0
    assert model.predict([[1.0]]) == [[1.0, 0.0]]
    h = model.fit([[1.0]], [1], epochs=1, batch_size=None, verbose=0)
    assert h.history["loss"] == [pytest.approx(2000.0)]
    assert all(math.isfinite(v) for v in model.state_dict().values())
    # the gradient is softmax - onehot = (1, -1) times x: w moved by exactly lr
    assert model.state_dict()["layers.0.neurons.0.w.0"] == pytest.approx(1000.0 - 1e-4)
    # the model's own graph (probabilities) stays finite too
    out = model([1.0])
    assert [p.data for p in out] == [1.0, 0.0]


def test_from_logits_true_on_a_softmax_layer_is_refused() -> None:
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    with pytest.raises(ValueError, match="applies softmax but the loss says from_logits"):
        model.compile(loss=K.SparseCategoricalCrossentropy(from_logits=True))


def test_softmax_with_mse_trains_on_probabilities() -> None:
    model = Sequential([Dense(2, activation="softmax", input_shape=(1,))], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    out = model([0.5])
    p = [v.data for v in out]
    assert model.evaluate([[0.5]], [[1.0, 0.0]]) == pytest.approx(
        ((p[0] - 1) ** 2 + p[1] ** 2) / 2)


# ----------------------------------------------------------------------------- build, summary
def test_first_fit_fixes_the_input_size() -> None:
    model = Sequential([Dense(4, activation="relu"), Dense(1)], seed=0)
    assert not model.built and model.parameters() == []
    with pytest.raises(ValueError, match="not built yet"):
        model.summary()
    model.compile(optimizer="adam", loss="mse")
    model.fit([[1.0, 2.0, 3.0]] * 4, [1.0] * 4, epochs=1, verbose=0)
    assert model.built and model.nin == 3 and model.num_parameters() == 4 * 4 + 5
    with pytest.raises(ValueError, match="has 2 values; the model expects 3"):
        model.predict([[1.0, 2.0]])


def test_first_call_fixes_the_input_size_and_add_appends() -> None:
    model = Sequential(seed=0)
    model.add(Dense(3, activation="gelu"))
    model.add(Dense(2, activation="softmax"))
    out = model([1.0, 0.5])
    assert model.nin == 2 and len(out) == 2
    assert out[0].label == "L1.n0.out" and out[0].parents[0].parents[0].label == "L1.n0.z"


def test_summary_is_a_keras_table() -> None:
    model = Sequential([Dense(128, activation="relu", input_shape=(784,)),
                        Dense(10, activation="softmax")])
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert 'Model: "sequential"' in text
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert " dense (Dense)" in text and "(None, 128)" in text and "100,480" in text
    assert " dense_1 (Dense)" in text and "(None, 10)" in text and "1,290" in text
    assert "Total params: 101,770" in text
    assert model.num_parameters() == 101_770


def test_verbose_prints_one_line_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    model = Sequential([Dense(1, input_shape=(1,))], seed=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit([[1.0], [2.0]], [2.0, 4.0], epochs=3, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(" - ")[0] for ln in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all("loss: " in ln and "mae: " in ln for ln in lines)
    model.fit([[1.0], [2.0]], [2.0, 4.0], epochs=3, verbose=0)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- save, draw
def test_save_load_round_trip(tmp_path) -> None:
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)),
                        Dense(3, activation="leaky_relu(slope=0.2)"),
                        Dense(3, activation="softmax")], seed=3)
    path = tmp_path / "model.json"
    model.save(path)
    back = nn.load(path)
    assert type(back) is Sequential
    assert back.state_dict() == model.state_dict()
    X = [[0.1, 0.2, 0.3], [-1.0, 2.0, 0.5]]
    assert back.predict(X) == model.predict(X)
    assert repr(back) == repr(model)
    assert [p.label for p in back.parameters()] == [p.label for p in model.parameters()]
    assert Sequential.load(path).state_dict() == model.state_dict()


def test_save_refuses_unbuilt_or_unnamed_activation(tmp_path) -> None:
    with pytest.raises(ValueError, match="not built yet"):
        Sequential([Dense(2)]).save(tmp_path / "a.json")
    model = Sequential([Dense(2, activation=lambda v: v * v.sigmoid(), input_shape=(2,)),
                        Dense(1)])
    with pytest.raises(ValueError, match="no registered name"):
        model.save(tmp_path / "b.json")


def test_load_refuses_softmax_on_a_hidden_layer(tmp_path) -> None:
    model = Sequential([Dense(2, activation="tanh", input_shape=(2,)), Dense(2)], seed=0)
    text = nn.io.to_json(model).replace('"tanh"', '"softmax"')
    with pytest.raises(ValueError, match="unknown activation of layers\\[0\\] 'softmax'"):
        nn.io.from_json(text)


def test_drawing_labels_come_from_the_mlp() -> None:
    from viz.dot import draw_dot

    model = Sequential([Dense(2, activation="relu", input_shape=(2,)),
                        Dense(2, activation="softmax")], seed=0)
    out = model([1.0, -1.0])
    source = draw_dot(out[0]).source
    assert out[0].label == "L1.n0.out"
    for label in ("L0.n1.w1", "L0.n1.z", "L1.n0.z", "L1.lse", "x0"):
        assert label in source


def test_cross_entropy_of_softmax_outputs_uses_their_logits() -> None:
    model = _big_logits_model()
    probs = model([1.0])  # probabilities [1, 0]: log(0) would be -inf
    assert [p.data for p in probs] == [1.0, 0.0]
    loss = cross_entropy([probs], [1])
    assert loss.data == pytest.approx(2000.0)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert grads == pytest.approx([1.0, 1.0, -1.0, -1.0])  # (softmax - onehot) * (x, 1)


def test_point_loss_of_a_trained_softmax_model_is_its_cross_entropy() -> None:
    from viz.training import point_loss

    model = Sequential([Dense(3, activation="relu", input_shape=(2,)),
                        Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    X, y = [[0.5, 1.0], [1.0, -1.0], [0.0, 0.3]], [0, 1, 2]
    h = model.fit(X, y, epochs=2, verbose=0, record=True)
    root = point_loss(model, h.history, X, y, 1)
    with model.outputs_logits():
        expected = cross_entropy([model(X[1])], [1]).data
    assert root.data == pytest.approx(expected, rel=1e-12)


def test_categorical_crossentropy_on_one_hot_rows_equals_sparse_on_labels() -> None:
    X, labels = [[0.5, 1.0], [1.0, -1.0], [0.0, 0.3]], [0, 1, 2]
    one_hot = [[1.0 if j == c else 0.0 for j in range(3)] for c in labels]
    runs = []
    for loss, y in (("sparse_categorical_crossentropy", labels),
                    ("categorical_crossentropy", one_hot)):
        model = Sequential([Dense(4, activation="tanh", input_shape=(2,)),
                            Dense(3, activation="softmax")], seed=7)
        model.compile(optimizer=nn.Adam, loss=loss, metrics=["accuracy"])
        h = model.fit(X, y, epochs=3, batch_size=2, verbose=0, validation_data=(X, y))
        runs.append((h.history, model.state_dict(), model.evaluate(X, y)))
    assert runs[0] == runs[1]
    assert isinstance(model._optimizer(), nn.Adam) and model._optimizer().lr == 0.001


def test_point_loss_of_a_sigmoid_head_is_the_loss_fit_computed_on_its_logit() -> None:
    from nn.losses import binary_cross_entropy
    from viz.training import point_loss

    X = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [-1.0, 0.5]]
    y = [0, 1, 1, 0]
    model = Sequential([Dense(3, activation="tanh"), Dense(1, activation="sigmoid")], seed=3)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    h = model.fit(X, y, epochs=2, batch_size=None, verbose=0, record=True)
    root = point_loss(model, h.history, X, y, 2)
    with model.logits_for(binary_cross_entropy):
        want = binary_cross_entropy([model(X[2])], [y[2]]).data
    assert root.data == pytest.approx(want, rel=1e-12)
    p = model(X[2]).data  # the probability: the old bug took it for the logit
    assert root.data != pytest.approx(binary_cross_entropy([Value(p)], [1]).data, rel=1e-6)
