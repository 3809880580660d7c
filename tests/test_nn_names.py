"""nn labels from structure: ``L{k}.n{i}.w{j}`` parameters, ``z``/``out`` nodes, ``x{i}`` inputs.

The scheme is documented in nn/module.py's docstring; viz draws one cluster per dotted prefix.
"""

import threading

import pytest

from autograd_core import Value, topological_order
from autograd_core.steps import node_names
from nn import MLP, Layer, Module, Neuron, binary_cross_entropy, hinge, l2, load, mse
from nn.io import from_json, to_json

SHAPES = [(2, [3]), (1, [1]), (2, [16, 16, 1]), (3, [3, 3, 1]), (4, [5, 2])]


def _labels(model):
    return [p.label for p in model.parameters()]


@pytest.mark.parametrize(("nin", "nouts"), SHAPES)
def test_mlp_parameter_labels_follow_the_scheme_and_are_unique(nin, nouts):
    model = MLP(nin, nouts, seed=0)
    sizes = [nin, *nouts]
    expected = []
    for k in range(len(nouts)):
        for i in range(sizes[k + 1]):
            expected += [f"L{k}.n{i}.w{j}" for j in range(sizes[k])] + [f"L{k}.n{i}.b"]
    assert _labels(model) == expected
    assert len(set(expected)) == len(expected) == model.num_parameters()
    neuron = model.layers[-1].neurons[-1]
    assert neuron.w[0].label == f"L{len(nouts) - 1}.n{nouts[-1] - 1}.w0"


@pytest.mark.parametrize(("nin", "nouts"), SHAPES)
def test_named_parameters_are_unchanged(nin, nouts):
    model = MLP(nin, nouts, seed=0)
    sizes = [nin, *nouts]
    expected = []
    for k in range(len(nouts)):
        for i in range(sizes[k + 1]):
            base = f"layers.{k}.neurons.{i}"
            expected += [f"{base}.w.{j}" for j in range(sizes[k])] + [f"{base}.b"]
    assert [name for name, _ in model.named_parameters()] == expected
    assert list(model.state_dict()) == expected


def test_standalone_layer_and_neuron_labels():
    layer = Layer(3, 2, seed=0)
    assert _labels(layer) == ["n0.w0", "n0.w1", "n0.w2", "n0.b", "n1.w0", "n1.w1", "n1.w2", "n1.b"]
    neuron = Neuron(3, seed=0)
    assert _labels(neuron) == ["w0", "w1", "w2", "b"]


@pytest.mark.parametrize(("nin", "nouts"), [(3, [3, 3, 1]), (2, [16, 16, 1]), (2, [4, 3])])
def test_forward_nodes_carry_their_neurons_names(nin, nouts):
    model = MLP(nin, nouts, seed=0)
    out = model([0.5 * (i + 1) for i in range(nin)])
    outs = out if isinstance(out, list) else [out]
    nodes = {id(n): n for o in outs for n in topological_order(o)}.values()
    params = {id(p) for p in model.parameters()}
    inputs = sorted(n.label for n in nodes if n.op == "" and id(n) not in params)
    assert inputs == sorted(f"x{i}" for i in range(nin))
    sizes = [nin, *nouts]
    last = len(nouts) - 1
    for k in range(len(nouts)):
        for i in range(sizes[k + 1]):
            name = f"L{k}.n{i}"
            labelled = {n.label: n for n in nodes if n.label.startswith(name + ".")}
            if k == last:  # linear output neurons: the dot node is the neuron's output
                assert labelled[f"{name}.out"].op == "dot"
                assert f"{name}.z" not in labelled
            else:
                assert labelled[f"{name}.z"].op == "dot"
                assert labelled[f"{name}.out"].op == "relu"
                assert labelled[f"{name}.out"].parents == (labelled[f"{name}.z"],)
    assert all(n.label for n in nodes)  # nothing in a model's forward is left unnamed
    names = [n.label for n in nodes]
    assert len(set(names)) == len(names)  # and one forward's names are unique


def test_activations_label_the_activation_node():
    for act in ("tanh", "sigmoid", "relu"):
        out = Neuron(2, act, seed=0)([1.0, 2.0])
        assert (out.op, out.label) == (act, "out")
        assert (out.parents[0].op, out.parents[0].label) == ("dot", "z")
    linear = Neuron(2, "linear", seed=0)([1.0, 2.0])
    assert (linear.op, linear.label) == ("dot", "out")
    outs = Layer(2, 2, "tanh", seed=0)([1.0, 2.0])
    assert [o.label for o in outs] == ["n0.out", "n1.out"]
    assert [o.parents[0].label for o in outs] == ["n0.z", "n1.z"]
    assert [p.label for p in outs[0].parents[0].parents] == ["n0.w0", "n0.w1", "x0", "x1", "n0.b"]


def test_values_passed_in_keep_their_labels():
    model = MLP(2, [2, 1], seed=0)
    a = Value(1.0, "a")
    unnamed = Value(3.0)
    out = model([a, 2.0])
    dot0 = out.parents[2].parents[0]  # L0.n0's dot: w0, w1, the inputs, b
    assert [p.label for p in dot0.parents[2:4]] == ["a", "x1"]
    assert dot0.parents[2] is a
    model([unnamed, 2.0])
    assert unnamed.label == ""


def test_forward_reuses_precomputed_label_strings():
    model = MLP(2, [3, 1], seed=0)
    first, second = model([1.0, 2.0]), model([3.0, 4.0])
    assert first.label == "L1.n0.out"
    assert first.label is second.label  # the same string object: no formatting per forward
    assert first.parents[3].label is second.parents[3].label


def test_losses_are_labelled_loss():
    preds = [Value(0.5), Value(-1.0)]
    for loss in (mse(preds, [1.0, 0.0]), hinge(preds, [1, -1]), hinge(preds, [1, -1], "sum"),
                 binary_cross_entropy(preds, [1, 0])):
        assert loss.label == "loss"
        assert node_names(loss)[loss] == "loss"
    per_sample = mse(preds, [1.0, 0.0], reduction="none")
    assert all(s.label != "loss" for s in per_sample)
    penalty = l2(preds, 0.1)
    assert penalty.label == "l2"
    total = hinge(preds, [1, -1]) + penalty
    names = node_names(total)
    assert sorted(n for n in names.values() if n in ("loss", "l2")) == ["l2", "loss"]


def test_save_load_round_trip_keeps_labels(tmp_path):
    model = MLP(3, [3, 3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    loaded = load(path)
    assert _labels(loaded) == _labels(model)
    assert _labels(from_json(to_json(Layer(2, 3, seed=0)))) == _labels(Layer(2, 3, seed=0))
    assert loaded([1.0, 2.0, 3.0]).label == "L2.n0.out"


def test_load_state_dict_keeps_labels():
    a, b = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    before = _labels(b)
    b.load_state_dict(a.state_dict())
    assert _labels(b) == before


class _Net(Module):
    def __init__(self):
        self.encoder = MLP(2, [3], seed=0)
        self.heads = [Neuron(3, "linear", seed=1), Neuron(3, "linear", seed=2)]
        self.scale = Value(1.0)

    def __call__(self, x):
        h = self.encoder(x)
        return [self.scale * head(h) for head in self.heads]


class _WideMLP(MLP):
    def __init__(self):
        super().__init__(2, [2, 1], seed=0)
        self.temperature = Value(1.0)


class _GatedNeuron(Neuron):
    def __init__(self, nin):
        super().__init__(nin, seed=0)
        self.gate = Value(1.0)


class _GatedLayer(Module):
    def __init__(self):
        self.units = [_GatedNeuron(2), _GatedNeuron(2)]


def test_a_neuron_subclass_labels_its_own_parameters_too():
    assert _labels(_GatedNeuron(2)) == ["w0", "w1", "b", "gate"]
    assert _labels(_GatedLayer()) == ["units0.w0", "units0.w1", "units0.b", "units0.gate",
                                      "units1.w0", "units1.w1", "units1.b", "units1.gate"]
    assert _GatedLayer().units[1]([1.0, 2.0]).label == "units1.out"


def test_user_modules_are_labelled_from_their_attributes():
    net = _Net()
    labels = _labels(net)
    assert labels[:4] == ["encoder.L0.n0.w0", "encoder.L0.n0.w1", "encoder.L0.n0.b",
                          "encoder.L0.n1.w0"]
    assert labels[-5:] == ["heads1.w0", "heads1.w1", "heads1.w2", "heads1.b", "scale"]
    assert len(set(labels)) == len(labels)
    out = net([1.0, 2.0])
    assert [o.parents[1].label for o in out] == ["heads0.out", "heads1.out"]
    assert out[0].parents[1].parents[3].label == "encoder.L0.n0.out"
    wide = _WideMLP()
    assert _labels(wide) == [*_labels(MLP(2, [2, 1], seed=0)), "temperature"]


def test_label_parameters_after_a_change_and_with_a_prefix():
    model = MLP(2, [3], "relu", output_activation="relu", seed=0)
    model.layers.append(Layer(3, 1, "linear", seed=0))
    model.sizes.append(1)
    assert model.layers[1].neurons[0].b.label == "n0.b"  # not relabelled yet
    assert model.label_parameters() is model
    assert model.layers[1].neurons[0].b.label == "L1.n0.b"
    assert model([1.0, 2.0]).label == "L1.n0.out"
    model.label_parameters("net")
    assert _labels(model)[0] == "net.L0.n0.w0"
    assert model([1.0, 2.0]).parents[3].parents[0].label == "net.L0.n0.z"
    with pytest.raises(TypeError, match="prefix must be a str"):
        model.label_parameters(3)


def test_a_failed_construction_does_not_stop_later_labelling():
    with pytest.raises(ValueError, match="unknown init"):
        MLP(2, [3, 1], init="bogus")  # fails three constructors deep
    assert _labels(Layer(2, 1, seed=0)) == ["n0.w0", "n0.w1", "n0.b"]


def test_models_built_in_threads_are_labelled():
    models = []
    barrier = threading.Barrier(4)

    def build():
        barrier.wait()
        models.append(MLP(2, [64, 64, 1], seed=0))  # long enough for the threads to interleave

    for _ in range(3):
        threads = [threading.Thread(target=build) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    expected = _labels(MLP(2, [64, 64, 1], seed=0))
    assert expected[0] == "L0.n0.w0"
    assert len(models) == 12
    assert all(_labels(m) == expected for m in models)  # each thread counts its own nesting
