"""Hostile input for ``nn.load`` (issue 10, loading): cheap checks first, the model built last,
and every malformed file a ``ValueError`` that names the file (and the parameter)."""

import json
import os
import socket
import stat
import threading
import tracemalloc

import pytest

import nn.io as nn_io
from nn import MLP, Layer, Neuron, load
from nn.io import DEFAULT_MAX_BYTES


def _write(tmp_path, text, name="m.json"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _model_text(model=None):
    return nn_io.to_json(model or MLP(2, [3, 1], seed=0))


def _with_value(literal, name="layers.0.neurons.1.w.0"):
    """A saved model whose parameter ``name`` is the raw JSON text ``literal``."""
    doc = json.loads(_model_text())
    doc["parameters"][name] = "@@"
    return json.dumps(doc).replace('"@@"', literal)


def _refused(path, *needles, **kwargs):
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(ValueError) as info:
        load(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message, message
    assert "set_int_max_str_digits" not in message and len(message) < 600
    if before is not None:
        assert path.read_bytes() == before
    return message


# --------------------------------------------------------------------------- the parser
def test_deep_nesting_is_a_value_error(tmp_path):
    path = _write(tmp_path, "[" * 100_000 + "]" * 100_000)
    _refused(path, "nested too deeply")


def test_deep_nesting_inside_a_model_is_a_value_error(tmp_path):
    path = _write(tmp_path, _with_value("[" * 50_000 + "]" * 50_000))
    _refused(path, "nested too deeply")


def test_400_digit_integer_parameter_names_it(tmp_path):
    path = _write(tmp_path, _with_value("9" * 400))
    _refused(path, "'layers.0.neurons.1.w.0'", "too large")


def test_5000_digit_integer_parameter_names_it_without_python_hints(tmp_path):
    path = _write(tmp_path, _with_value("7" * 5000))
    _refused(path, "'layers.0.neurons.1.w.0'", "5000 digits")


def test_big_but_finite_integer_still_loads(tmp_path):
    path = _write(tmp_path, _with_value("1" + "0" * 300))
    assert load(path).state_dict()["layers.0.neurons.1.w.0"] == 1e300


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_json_special_numbers_are_refused_naming_the_parameter(tmp_path, literal):
    path = _write(tmp_path, _with_value(literal))
    _refused(path, "'layers.0.neurons.1.w.0'", literal)


@pytest.mark.parametrize("literal", ['"nan"', '"inf"', '"-inf"', "1e-999", "-0.0"])
def test_the_formats_own_special_values_still_load(tmp_path, literal):
    path = _write(tmp_path, _with_value(literal))
    value = load(path).state_dict()["layers.0.neurons.1.w.0"]
    assert repr(value) == {'"nan"': "nan", '"inf"': "inf", '"-inf"': "-inf",
                           "1e-999": "0.0", "-0.0": "-0.0"}[literal]


@pytest.mark.parametrize(
    "key, literal",
    [("nin", "NaN"), ("nin", "1e999"), ("nin", "7" * 5000), ("nouts", "[Infinity]"),
     ("activation", "-Infinity")],
)
def test_special_numbers_in_the_architecture_are_refused(tmp_path, key, literal):
    doc = json.loads(_model_text())
    doc["architecture"]["config"][key] = "@@"
    _refused(_write(tmp_path, json.dumps(doc).replace('"@@"', literal)), key)


@pytest.mark.parametrize("kind", ['["MLP"]', '{"MLP": 1}', "NaN", "null", "7"])
def test_unhashable_or_odd_architecture_type(tmp_path, kind):
    doc = json.loads(_model_text())
    doc["architecture"]["type"] = "@@"
    _refused(_write(tmp_path, json.dumps(doc).replace('"@@"', kind)), "architecture type")


@pytest.mark.parametrize("version", ['[1]', "NaN", "1.0e0", "9" * 5000, "true"])
def test_odd_versions(tmp_path, version):
    doc = json.loads(_model_text())
    doc["version"] = "@@"
    _refused(_write(tmp_path, json.dumps(doc).replace('"@@"', version)), "version")


@pytest.mark.parametrize("value", ["[1.0]", '{"a": 1}', '"1.5"', "null"])
def test_non_number_parameters_are_named(tmp_path, value):
    _refused(_write(tmp_path, _with_value(value)), "'layers.0.neurons.1.w.0'", "not a number")


# --------------------------------------------------------------------------- the file
def test_size_cap_refuses_before_reading(tmp_path):
    peaks = []
    for size in (DEFAULT_MAX_BYTES + 1, 10 * DEFAULT_MAX_BYTES):
        path = tmp_path / f"big{size}.json"
        with open(path, "wb") as f:
            f.truncate(size)  # sparse: costs no disk
        tracemalloc.start()
        try:
            with pytest.raises(ValueError, match="max_bytes") as info:
                load(path)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        message = str(info.value)
        assert str(path) in message and "64 MiB" in message and f"{size:,} bytes" in message
    assert max(peaks) < 256 * 1024  # nothing of the file was read, at either size


def test_max_bytes_overrides_the_cap(tmp_path):
    path = _write(tmp_path, _model_text())
    size = path.stat().st_size
    _refused(path, "max_bytes", f"{size:,} bytes", max_bytes=size - 1)
    assert load(path, max_bytes=size).state_dict() == MLP(2, [3, 1], seed=0).state_dict()
    assert load(path, max_bytes=None).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True])
def test_max_bytes_must_be_a_positive_int(tmp_path, bad):
    path = _write(tmp_path, _model_text())
    with pytest.raises((TypeError, ValueError), match="max_bytes must be"):
        load(path, max_bytes=bad)


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = {}

    def run():
        try:
            load(fifo)
        except Exception as exc:  # the test inspects it below
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)  # not a speed limit: a guard so that a regression cannot hang the suite
    if worker.is_alive():  # unblock the reader stuck in open(), then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join()
        pytest.fail("load() blocked on a FIFO")
    error = result["error"]
    assert isinstance(error, ValueError)
    assert str(fifo) in str(error) and "FIFO" in str(error)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_character_device_is_refused(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating device nodes needs CAP_MKNOD")
    with pytest.raises(ValueError, match="character device") as info:
        load(node)
    assert str(node) in str(info.value)


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises(ValueError, match="socket") as info:
            load(path)
        assert str(path) in str(info.value)
    finally:
        server.close()


def test_directory_and_missing_file_stay_os_errors(tmp_path):
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.json")


# --------------------------------------------------------------------------- cheap first
@pytest.fixture
def no_build(monkeypatch):
    """Fail the test if load() gets as far as constructing the model."""
    built = []
    real_build = nn_io._build

    def spy(kind, config):
        built.append(kind)
        return real_build(kind, config)

    monkeypatch.setattr(nn_io, "_build", spy)
    yield built
    assert built == [], f"load() built a {built} before finding the file malformed"


def _renamed(model, old, new):
    doc = json.loads(nn_io.to_json(model))
    doc["parameters"] = {k.replace(old, new): v for k, v in doc["parameters"].items()}
    return json.dumps(doc, indent=1)


@pytest.mark.parametrize(
    "old, new, bad",
    [("neurons.3.w.0", "neurons.3.w.7", "neurons.3.w.7"),  # index out of range
     ("neurons.3.b", "neurons.3.c", "neurons.3.c"),
     ("neurons.3.w.1", "neurons.3.w.01", "neurons.3.w.01"),  # not how we write numbers
     ("neurons.3.w.1", "neurons.3.w.\u0663", "neurons.3.w.\u0663"),  # an Arabic-Indic 3
     ("layers.0.neurons.3.b", "layers.0.neurons.3.b ", "neurons.3.b ")],
)
def test_parameter_names_are_checked_before_building(tmp_path, no_build, old, new, bad):
    path = _write(tmp_path, _renamed(MLP(2, [4, 1], seed=0), old, new))
    message = _refused(path, "unexpected parameter", repr(bad)[1:-1])
    assert "missing" in message


def test_bad_value_is_found_before_building(tmp_path, no_build):
    _refused(_write(tmp_path, _with_value('"abc"')), "'layers.0.neurons.1.w.0'")


def test_bad_config_is_found_before_building(tmp_path, no_build):
    doc = json.loads(_model_text())
    doc["architecture"]["config"]["output_activation"] = "softmax"
    _refused(_write(tmp_path, json.dumps(doc)), "softmax")


def test_huge_claimed_architecture_fails_without_allocating(tmp_path, no_build):
    """A file claiming MLP(1, [n]) with 2n parameters whose names are wrong: the peak memory
    of the failing load grows with the file (parsing), not with the model it claims."""
    ratios = []
    for n in (2_000, 20_000):
        path = _write(tmp_path, _renamed(MLP(1, [n], seed=0), "layers.", "layer."), f"m{n}.json")
        tracemalloc.start()
        try:
            _refused(path, "unexpected parameter")
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        ratios.append(peak / path.stat().st_size)
    # Parsing costs about 6.5 bytes per byte of file; building the model cost about 16.
    assert max(ratios) < 9, ratios


@pytest.mark.parametrize("nouts", [[10**300], [1500000], [2, 10**399, 3]])
def test_claimed_architecture_far_beyond_the_file(tmp_path, no_build, nouts):
    doc = json.loads(_model_text())
    doc["architecture"]["config"]["nouts"] = nouts
    message = _refused(_write(tmp_path, json.dumps(doc)), "parameters")
    assert "13" in message  # the file's parameter count


def test_duplicate_keys_are_a_mismatch(tmp_path, no_build):
    text = _model_text().replace('"layers.1.neurons.0.b"', '"layers.0.neurons.0.b"')
    _refused(_write(tmp_path, text), "parameters")


@pytest.mark.parametrize(
    "model",
    [MLP(3, [4, 12, 1], seed=0), MLP(1, [1], seed=0), Layer(11, 3, seed=0), Neuron(12, seed=0)],
)
def test_expected_names_are_the_modules_names(model):
    kind = type(model).__name__
    names = [name for name, _ in model.named_parameters()]
    sizes = nn_io._layer_sizes(kind, model.config())
    assert all(nn_io._known_name(kind, sizes, name) for name in names)
    assert nn_io._count(sizes) == len(names)
    assert list(nn_io._names(kind, sizes)) == names
    near = [n + "0" for n in names] + [n.replace(".b", ".w.0.b") for n in names]
    assert not any(nn_io._known_name(kind, sizes, name) for name in near if name not in names)


def test_a_good_file_still_loads_after_all_the_checks(tmp_path):
    model = MLP(3, [5, 2], activation="tanh", output_activation="sigmoid", seed=3)
    path = tmp_path / "m.json"
    model.save(path)
    loaded = load(path)
    assert loaded.state_dict() == model.state_dict() and loaded.config() == model.config()


def test_parameters_in_any_order_load(tmp_path):
    model = MLP(2, [3, 2], seed=5)
    doc = json.loads(nn_io.to_json(model))
    doc["parameters"] = dict(reversed(doc["parameters"].items()))
    assert load(_write(tmp_path, json.dumps(doc))).state_dict() == model.state_dict()


def test_module_load_passes_max_bytes_on(tmp_path) -> None:
    from nn import MLP

    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    size = path.stat().st_size
    with pytest.raises(ValueError, match=r"m\.json"):
        MLP.load(path, max_bytes=size - 1)
    assert MLP.load(path, max_bytes=size).num_parameters() == 13
