"""nn.demo: a smoke run with few epochs, writing into a temporary folder."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

from nn import MLP, demo, load


def test_moons_demo_writes_everything(tmp_path, capsys):
    out = tmp_path / "demo-out"
    status = demo.main(["--out", str(out), "--epochs", "3", "--no-progress",
                        "--min-accuracy", "0"])
    assert status == 0
    printed = capsys.readouterr().out
    for name in ("model.json", "loss_curve.png", "loss_curve.svg", "decision_boundary.png",
                 "decision_boundary.svg"):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0
        assert str(path) in printed
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ET.parse(out / "decision_boundary.svg").getroot().tag.endswith("svg")
    model = load(out / "model.json")
    assert isinstance(model, MLP) and model.config()["nouts"] == [16, 16, 1]
    graph = out / "neuron_graph.svg"
    assert graph.is_file() or "skipped" in printed
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    page = _page_data(out / "training.html")
    assert page["epochs"] == [0, 1, 2, 3] and page["sizes"] == [2, 16, 16, 1]
    assert "gradient norm per layer, last epoch: L0" in printed


def _page_data(path):
    text = path.read_text(encoding="utf-8")
    m = re.search(r'<script id="training-data" type="application/json">(.*?)</script>', text,
                  re.S)
    return json.loads(m.group(1))


def test_deep_sigmoid_run_shows_vanishing_gradients(tmp_path, capsys):
    status = demo.main(["--out", str(tmp_path), "--epochs", "8", "--no-progress", "--no-plots",
                        "--activation", "sigmoid", "--hidden", "8,8,8,8,8,8"])
    assert status == 0  # no accuracy target for a network chosen to train badly
    printed = capsys.readouterr().out
    assert "minibatches of 10" in printed and "(vanishing gradients)" in printed
    page = _page_data(tmp_path / "training.html")
    assert page["sizes"] == [2, 8, 8, 8, 8, 8, 8, 1] and page["acts"][0] == "sigmoid"
    norms = page["grad_norm"]
    for epoch in range(8):  # the last hidden layer's gradient is >= 100x the first's
        assert norms["L5"][epoch] >= 100 * norms["L0"][epoch]
    assert page["saturated"]["L0"][0] is not None and page["dead"]["L0"][0] is None


def test_demo_network_options_are_checked(tmp_path, capsys):
    with pytest.raises(SystemExit):
        demo.main(["--hidden", "8,x"])
    with pytest.raises(SystemExit):
        demo.main(["--hidden", "0"])
    assert "--hidden takes" in capsys.readouterr().err
    assert demo.main(["--dataset", "digits", "--activation", "tanh", "--out",
                      str(tmp_path)]) == 2
    status = demo.main(["--out", str(tmp_path), "--epochs", "1", "--no-progress",
                        "--no-plots", "--no-page", "--min-accuracy", "0"])
    assert status == 0 and not (tmp_path / "training.html").exists()


def test_unmet_accuracy_target_is_a_failure(tmp_path, capsys):
    status = demo.main(["--out", str(tmp_path), "--epochs", "1", "--no-progress", "--no-plots",
                        "--min-accuracy", "1.01"])
    assert status == 1
    assert "below the target" in capsys.readouterr().out


def test_digits_demo_runs(tmp_path, capsys):
    status = demo.main(["--dataset", "digits", "--out", str(tmp_path), "--epochs", "1",
                        "--no-progress", "--min-accuracy", "0"])
    assert status == 0
    assert "held-out accuracy" in capsys.readouterr().out
    assert load(tmp_path / "model.json").config()["nouts"] == [32, 10]
    page = _page_data(tmp_path / "training.html")
    assert page["sizes"] == [64, 32, 10] and page["grid"] == 0 and len(page["points"]) == 200


def test_bad_arguments(tmp_path):
    with pytest.raises(SystemExit):
        demo.main(["--dataset", "cifar"])
    assert demo.main(["--out", str(tmp_path), "--epochs", "0"]) == 2


def test_without_matplotlib_the_plots_are_skipped(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.figure", None)
    status = demo.main(["--out", str(tmp_path), "--epochs", "1", "--no-progress",
                        "--min-accuracy", "0"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "skipped: the plots need matplotlib" in printed
    assert (tmp_path / "model.json").is_file() and not (tmp_path / "loss_curve.png").exists()


def test_a_fifo_where_an_output_goes_is_refused_before_training(tmp_path, monkeypatch) -> None:
    import os

    import nn.demo as demo
    from autograd_core.files import UnsafePathError

    os.mkfifo(tmp_path / "model.json")
    trained = []
    monkeypatch.setattr(demo, "_moons", lambda *a, **k: trained.append(1) or (1.0, []))
    with pytest.raises(UnsafePathError, match=r"model\.json"):
        demo.main(["--out", str(tmp_path), "--no-progress", "--no-plots"])
    assert trained == []


def test_the_printed_accuracies_are_the_pages(tmp_path, capsys):
    """The CLI's 'after training' accuracy is the page's last 'after epoch' figure, and its
    'during the last epoch' one is fit's running figure shown as 'running' on the page."""
    status = demo.main(["--out", str(tmp_path), "--epochs", "8", "--no-progress", "--no-plots",
                        "--activation", "sigmoid", "--hidden", "8,8,8,8,8,8"])
    assert status == 0
    printed = capsys.readouterr().out
    page = _page_data(tmp_path / "training.html")
    after = re.search(r"training accuracy after training ([\d.]+)%", printed)
    running = re.search(r"accuracy ([\d.]+)% during the last epoch", printed)
    assert after and running
    assert float(after.group(1)) == pytest.approx(100 * page["after"]["accuracy"][-1], abs=0.05)
    assert float(running.group(1)) == pytest.approx(100 * page["history"]["accuracy"][-1],
                                                    abs=0.05)
    training = next(line for line in printed.splitlines() if line.startswith("training:"))
    assert "minibatches of 10" in training and "no L2" in training
    assert "no accuracy target" in training


def test_help_says_what_a_custom_network_changes(capsys):
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "minibatches of 10" in text and "no L2 penalty" in text
    assert "sets no target" in text
