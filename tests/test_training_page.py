"""viz.training: the training page's structure and data, without a browser."""

import json
import re
import sys

import pytest

from autograd_core import Value
from autograd_core.graph import topological_order
from nn import MLP, fit
from nn.datasets import make_moons
from nn.losses import hinge
from viz.training import page_data, training_page, training_page_html

X, Y = make_moons(40, noise=0.1, seed=3)


@pytest.fixture(scope="module")
def run():
    model = MLP(2, [6, 5, 1], seed=2)
    history = fit(model, X, Y, loss=hinge, optimizer="adam", lr=0.05, epochs=12,
                  progress=False, record=True)
    return model, history


def _data(text):
    m = re.search(r'<script id="training-data" type="application/json">(.*?)</script>', text,
                  re.S)
    return json.loads(m.group(1))


def test_page_is_self_contained_and_written_atomically(run, tmp_path):
    model, history = run
    path = tmp_path / "training.html"
    path.write_text("old")
    assert training_page(model, history, X, Y, path) == path
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    # no fetched resource of any kind: the only URL is the SVG namespace name
    assert set(re.findall(r"https?://[^\s\"')]+", text)) == {"http://www.w3.org/2000/svg"}
    for needle in ("<link", " src=", "@import", "fetch(", "XMLHttpRequest", "url("):
        assert needle not in text
    assert [p.name for p in tmp_path.iterdir()] == ["training.html"]
    for panel in ("curves", "boundary", "health", "network", "step-panel", "epoch", "play"):
        assert f'id="{panel}"' in text


def test_page_data_follows_the_record(run):
    model, history = run
    rec = history.record
    data = page_data(model, history, X, Y)
    assert data["epochs"] == list(range(13)) and data["sizes"] == [2, 6, 5, 1]
    assert data["acts"] == ["relu", "relu", "linear"]
    assert data["history"]["loss"] == pytest.approx(history["loss"], rel=1e-6)
    assert data["grad_norm"]["L1"] == pytest.approx(rec.grad_norm["L1"], rel=1e-6)
    assert data["weights"][5] == pytest.approx(rec.snapshots[5], rel=1e-6)
    # one boundary grid per snapshot, and learning moved it
    assert len(data["boundary"]) == 13 and len(data["boundary"][0]) == data["grid"] ** 2
    assert data["boundary"][0] != data["boundary"][-1]
    # the loss gradient at the output of point 7 at epoch 4 is the engine's
    params = model.parameters()
    saved = [p.data for p in params]
    try:
        for p, v in zip(params, rec.snapshots[4], strict=True):
            p.data = v
        out = model(X[7])
        loss = hinge([out], [Y[7]])
        loss.backward()
        assert data["point_losses"][4][7] == pytest.approx(loss.data, rel=1e-6, abs=1e-12)
        assert data["out_grads"][4][7] == [pytest.approx(out.grad, rel=1e-6, abs=1e-12)]
        zs = {v.label: v.grad for v in topological_order(loss) if v.label.endswith(".z")}
        assert len(zs) == 11
    finally:
        for p, v in zip(params, saved, strict=True):
            p.data = v


def test_boundary_without_numpy_is_the_same(run, monkeypatch):
    model, history = run
    with_numpy = page_data(model, history, X, Y, grid=12)["boundary"]
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert page_data(model, history, X, Y, grid=12)["boundary"] == with_numpy


def test_size_is_bounded_by_max_points():
    Xb, yb = make_moons(600, noise=0.1, seed=1)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, Xb, yb, loss=hinge, epochs=3, progress=False, record=True)
    small = training_page_html(model, history, Xb[:100], yb[:100], max_points=50)
    big = training_page_html(model, history, Xb, yb, max_points=50)
    assert len(_data(big)["points"]) == 50 and _data(big)["npoints"] == 600
    assert len(big) < 1.1 * len(small)


def test_several_outputs_and_more_inputs():
    Xd = [[float((i * 7 + j) % 5) for j in range(4)] for i in range(15)]
    yd = [i % 3 for i in range(15)]
    model = MLP(4, [5, 3], seed=1)
    history = fit(model, Xd, yd, loss="cross_entropy", epochs=2, progress=False, record=True)
    data = _data(training_page_html(model, history, Xd, yd))
    assert data["grid"] == 0 and data["boundary"] == [] and data["multi"]
    assert data["classes"] == yd and len(data["out_grads"][0][0]) == 3


def test_bad_input_is_a_clear_error(run, tmp_path):
    model, history = run
    with pytest.raises(TypeError, match="needs a recorded run"):
        training_page(model, dict(history), X, Y, tmp_path / "a.html")
    unrecorded = fit(MLP(2, [3, 1], seed=0), X, Y, epochs=1, progress=False)
    with pytest.raises(TypeError, match="record=True"):
        training_page_html(model, unrecorded, X, Y)
    with pytest.raises(TypeError, match=r"draws an nn\.MLP"):
        training_page_html(Value(1.0), history, X, Y)
    with pytest.raises(ValueError, match="pass the model that was trained"):
        training_page_html(MLP(2, [3, 1], seed=0), history, X, Y)
    with pytest.raises(TypeError, match="path must be a str"):
        training_page(model, history, X, Y, 3)
    with pytest.raises(ValueError, match="max_points must be a positive int"):
        training_page_html(model, history, X, Y, max_points=0)
    with pytest.raises(FileNotFoundError):
        training_page(model, history, X, Y, tmp_path / "no" / "a.html")


def test_other_activations_get_the_boundary_from_the_model():
    model = MLP(2, [5, 1], activation="gelu", seed=0)
    history = fit(model, X, Y, loss=hinge, epochs=2, progress=False, record=True)
    assert history.record.activations == {"L0": "gelu", "L1": "linear"}
    assert history.record.dead["L0"] == [None, None]
    data = page_data(model, history, X, Y, grid=6)
    assert data["acts"] == ["gelu", "linear"]
    params = model.parameters()
    saved = [p.data for p in params]
    try:  # the boundary at epoch 1 is the model's own prediction with those weights
        for p, v in zip(params, history.record.snapshots[1], strict=True):
            p.data = v
        a, b, c, d = data["extent"]
        cell = [a + (b - a) * 0.5 / 6, d - (d - c) * 0.5 / 6]
        assert (data["boundary"][1][0] >= "V") == (model.predict_one(cell) > 0)
    finally:
        for p, v in zip(params, saved, strict=True):
            p.data = v


def test_point_loss_is_the_pages_point_at_that_epoch(run):
    from viz.training import point_loss

    model, history = run
    before = model.state_dict()
    root = point_loss(model, history, X, Y, 7, epoch=4)
    assert model.state_dict() == before  # the model itself is untouched
    data = page_data(model, history, X, Y)
    assert root.data == pytest.approx(data["point_losses"][4][7], rel=1e-6, abs=1e-12)
    weights = [v for v in topological_order(root) if v.label == "L0.n0.w0"]
    assert [w.data for w in weights] == [history.record.snapshots[4][0]]
    assert point_loss(model, history, X, Y, 0).data == pytest.approx(
        data["point_losses"][-1][0], rel=1e-6, abs=1e-12)
    with pytest.raises(ValueError, match="no snapshot of epoch 99"):
        point_loss(model, history, X, Y, 0, epoch=99)
    with pytest.raises(ValueError, match="index must be an int from 0 to 39"):
        point_loss(model, history, X, Y, 40)


def test_after_epoch_accuracy_is_the_snapshots_on_all_points(run):
    """fit's history has running figures (before each update); the page also has each
    snapshot's accuracy on all the points, which after the last epoch is the trained
    model's (the demo's target)."""
    from nn.train import accuracy, evaluate, predict

    model, history = run
    rec = history.record
    after = page_data(model, history, X, Y, max_points=10)["after"]["accuracy"]
    assert len(after) == 13
    assert after[-1] == pytest.approx(evaluate(model, X, Y, loss=hinge)["accuracy"])
    params = model.parameters()
    saved = [p.data for p in params]
    try:
        for p, v in zip(params, rec.snapshots[3], strict=True):
            p.data = v
        assert after[3] == pytest.approx(accuracy(predict(model, X), Y))
    finally:
        for p, v in zip(params, saved, strict=True):
            p.data = v


def test_every_column_of_the_step_table_has_a_header(run):
    text = training_page_html(*run, X, Y)
    head = re.search(r'<table id="updates"><thead><tr>(.*?)</tr>', text).group(1)
    headers = re.findall(r"<th>(.*?)</th>", head)
    assert len(headers) == 3 and all(h.strip() for h in headers)
    assert "node being processed" in text and "its parents" in text  # the colour key
