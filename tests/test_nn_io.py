"""nn.io: exact round trips, strict loading, atomic saving."""

import json
import math
import os
import struct

import pytest

import nn.io as nn_io
from nn import MLP, Layer, Neuron, load


def _bits(x):
    return struct.pack("<d", x)


def _saved(tmp_path, model=None, name="model.json"):
    model = model or MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=9)
    path = tmp_path / name
    model.save(path)
    return model, path


def test_round_trip_is_bit_exact(tmp_path):
    model = MLP(3, [4, 2], seed=9)
    specials = [-0.0, 5e-324, 1e308, 0.1 + 0.2, math.pi, -1 / 3, math.inf, -math.inf]
    for p, v in zip(model.parameters(), specials, strict=False):
        p.data = v
    path = tmp_path / "m.json"
    model.save(path)
    loaded = MLP.load(path)
    assert repr(loaded) == repr(model)
    assert loaded.config() == model.config()
    for (n1, a), (n2, b) in zip(model.named_parameters(), loaded.named_parameters(), strict=True):
        assert n1 == n2 and _bits(a.data) == _bits(b.data)


def test_nan_round_trips_and_outputs_agree(tmp_path):
    model = MLP(2, [3, 1], seed=1)
    model.parameters()[0].data = math.nan
    model.save(tmp_path / "m.json")
    loaded = load(tmp_path / "m.json")
    assert math.isnan(loaded.parameters()[0].data)
    ok = MLP(2, [3, 1], seed=4)
    ok.save(tmp_path / "ok.json")
    again = load(tmp_path / "ok.json")
    x = [0.3, -1.2]
    assert again(x).data == ok(x).data
    # the file is plain, standard JSON (no NaN literals)
    json.loads((tmp_path / "m.json").read_text(), parse_constant=lambda c: 1 / 0)


@pytest.mark.parametrize("model", [Neuron(3, "sigmoid", seed=1), Layer(2, 3, "tanh", seed=1)])
def test_neuron_and_layer_round_trip(tmp_path, model):
    model.save(tmp_path / "m.json")
    loaded = load(tmp_path / "m.json")
    assert type(loaded) is type(model) and loaded.state_dict() == model.state_dict()
    assert loaded.activation == model.activation


def test_load_of_wrong_class_is_a_value_error(tmp_path):
    Neuron(2, seed=0).save(tmp_path / "n.json")
    with pytest.raises(ValueError, match="holds a Neuron, not a MLP"):
        MLP.load(tmp_path / "n.json")


def _doc(path):
    return json.loads(path.read_text())


def _corrupt(doc, how):
    if how == "version":
        doc["version"] = 2
    elif how == "no-marker":
        del doc["format"]
    elif how == "value-string":
        doc["parameters"]["layers.0.neurons.0.w.0"] = "abc"
    elif how == "value-null":
        doc["parameters"]["layers.0.neurons.0.b"] = None
    elif how == "value-bool":
        doc["parameters"]["layers.0.neurons.0.b"] = True
    elif how == "missing-param":
        doc["parameters"].pop("layers.1.neurons.1.b")
    elif how == "renamed-param":
        doc["parameters"]["layers.9.x"] = doc["parameters"].pop("layers.1.neurons.1.b")
    elif how == "sizes":
        doc["architecture"]["config"]["nouts"] = [5, 2]
    elif how == "nin":
        doc["architecture"]["config"]["nin"] = 2
    elif how == "activation":
        doc["architecture"]["config"]["activation"] = "__import__('os')"
    elif how == "extra-config":
        doc["architecture"]["config"]["init"] = "he"
    elif how == "type":
        doc["architecture"]["type"] = "Transformer"
    elif how == "negative":
        doc["architecture"]["config"]["nouts"] = [-4, 2]
    elif how == "params-list":
        doc["parameters"] = list(doc["parameters"].values())
    elif how == "top-list":
        doc = [doc]
    return json.dumps(doc)


CORRUPTIONS = ["version", "no-marker", "value-string", "value-null", "value-bool",
               "missing-param", "renamed-param", "sizes", "nin", "activation", "extra-config",
               "type", "negative", "params-list", "top-list"]


@pytest.mark.parametrize("how", CORRUPTIONS)
def test_malformed_file_is_a_value_error_and_stays_intact(tmp_path, how):
    _, path = _saved(tmp_path)
    path.write_text(_corrupt(_doc(path), how))
    before = path.read_bytes()
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "invalid or truncated"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "invalid or truncated"),
        (b"hello, I am not JSON", "invalid or truncated"),
        (b"[1, 2, 3]", "format marker"),
        (b'"just a string"', "format marker"),
    ],
)
def test_not_a_model_at_all(tmp_path, content, match):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load(path)
    assert path.read_bytes() == content


def test_truncated_file(tmp_path):
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    for cut in (1, len(data) // 3, len(data) // 2, len(data) - 3):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated"):
            load(path)
        assert path.read_bytes() == data[:cut]


def test_version_error_names_the_versions(tmp_path):
    _, path = _saved(tmp_path)
    path.write_text(_corrupt(_doc(path), "version"))
    with pytest.raises(ValueError, match=r"version 2.*reads version 1"):
        load(path)


def test_mismatched_architecture_names_the_counts(tmp_path):
    _, path = _saved(tmp_path)
    path.write_text(_corrupt(_doc(path), "sizes"))
    with pytest.raises(ValueError, match="has 32 parameters but the file holds 26"):
        load(path)


def test_interrupted_save_leaves_the_old_file(tmp_path, monkeypatch):
    old_model, path = _saved(tmp_path)
    before = path.read_bytes()
    new_model = MLP(3, [4, 2], seed=123)

    class Crash(Exception):
        pass

    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise Crash("disk full halfway")

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(nn_io.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(Crash):
        new_model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind
    assert load(path).state_dict() == old_model.state_dict()


def test_failed_rename_leaves_the_old_file(tmp_path, monkeypatch):
    _, path = _saved(tmp_path)
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(nn_io.os, "replace", boom)
    with pytest.raises(OSError, match="rename failed"):
        MLP(3, [4, 2], seed=5).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_save_overwrites_atomically_and_keeps_mode(tmp_path):
    _, path = _saved(tmp_path)
    os.chmod(path, 0o640)
    second = MLP(3, [4, 2], seed=77)
    second.save(path)
    assert load(path).state_dict() == second.state_dict()
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_save_into_missing_folder_and_wrong_object(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MLP(2, [1], seed=0).save(tmp_path / "nope" / "m.json")
    with pytest.raises(TypeError, match="nn Module"):
        nn_io.save(object(), tmp_path / "m.json")


def test_save_through_a_symlink_replaces_the_real_file(tmp_path):
    real = tmp_path / "runs" / "best.json"
    real.parent.mkdir()
    MLP(2, [2], seed=1).save(real)
    link = tmp_path / "model.json"
    link.symlink_to(os.path.join("runs", "best.json"))
    newer = MLP(2, [2], seed=2)
    newer.save(link)
    assert link.is_symlink()
    assert load(real).state_dict() == newer.state_dict() == load(link).state_dict()


def test_save_refuses_a_read_only_model_file(tmp_path):
    _, path = _saved(tmp_path)
    before = path.read_bytes()
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        MLP(3, [4, 2], seed=5).save(path)
    assert path.read_bytes() == before


# ----------------------------------------------------------------------------- Sequential
def _sequential():
    from nn import Dense, Sequential

    return Sequential([Dense(3, activation="relu", input_shape=(2,)),
                       Dense(2, activation="gelu"), Dense(3, activation="softmax")], seed=4)


def test_sequential_round_trip_is_bit_exact_with_special_values(tmp_path):
    model = _sequential()
    state = model.state_dict()
    state["layers.1.neurons.0.w.2"] = math.nan
    state["layers.2.neurons.1.b"] = -math.inf
    model.load_state_dict(state)
    model.save(tmp_path / "s.json")
    back = load(tmp_path / "s.json")
    assert type(back).__name__ == "Sequential"
    assert [_bits(v) for v in back.state_dict().values()] == [
        _bits(v) for v in model.state_dict().values()]
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["architecture"] == {"type": "Sequential", "config": {"nin": 2, "layers": [
        {"units": 3, "activation": "relu"}, {"units": 2, "activation": "gelu"},
        {"units": 3, "activation": "softmax"}]}}


def _seq_doc(model):
    return json.loads(nn_io.to_json(model))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["architecture"]["config"]["layers"][0].update(units=4),
     "has 31 parameters but the file holds 26"),
    (lambda d: d["architecture"]["config"]["layers"][0].update(extra=1),
     "layers\\[0\\] must be"),
    (lambda d: d["architecture"]["config"]["layers"][1].update(activation="nope"),
     "unknown activation of layers\\[1\\] 'nope'"),
    (lambda d: d["architecture"]["config"].update(layers=[]), "non-empty list"),
    (lambda d: d["architecture"]["config"].update(nin=0), "nin must be a positive int"),
    (lambda d: d["architecture"]["config"].pop("layers"), "missing keys \\['layers'\\]"),
    (lambda d: d["parameters"].update({"layers.9.neurons.0.b": d["parameters"].pop(
        "layers.0.neurons.0.b")}), "unexpected parameter name"),
])
def test_a_broken_sequential_file_is_refused_before_building(change, message):
    doc = _seq_doc(_sequential())
    change(doc)
    with pytest.raises(ValueError, match=message):
        nn_io.from_json(json.dumps(doc), "f.json")
