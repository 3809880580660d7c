"""Neural networks on top of autograd_core: modules, losses, optimizers, training, save/load.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)       # micrograd's moons network
>>> len(model.parameters())
337
>>> model([1.0, -1.0]).op                     # the last layer is linear: a dot node
'dot'
>>> model.parameters()[0].label, model([1.0, -1.0]).label   # labels from the structure
('L0.n0.w0', 'L2.n0.out')

The articles' Keras programs run as written on the same modules (see :mod:`nn.keras`):

>>> from nn import Sequential, Dense
>>> net = Sequential([Dense(4, activation="relu", input_shape=(2,)),
...                   Dense(3, activation="softmax")], seed=0)
>>> net.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
>>> net.num_parameters()
27
"""

from . import keras
from .io import load, save
from .keras import Dense, Sequential
from .losses import binary_cross_entropy, cross_entropy, hinge, l2, mse
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer, RMSProp, clip_grad_norm, linear_decay
from .record import History, Recorder
from .train import accuracy, default_metrics, evaluate, fit, mae, predict, predict_classes

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Dense",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "RMSProp",
    "Recorder",
    "Sequential",
    "accuracy",
    "binary_cross_entropy",
    "clip_grad_norm",
    "cross_entropy",
    "default_metrics",
    "evaluate",
    "fit",
    "hinge",
    "keras",
    "l2",
    "linear_decay",
    "load",
    "mae",
    "mse",
    "predict",
    "predict_classes",
    "save",
]
