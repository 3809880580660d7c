"""nn.demo: a smoke run with few epochs, writing into a temporary folder."""

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
