"""Neural networks on top of autograd_core: modules, losses, optimizers, training, save/load.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)       # micrograd's moons network
>>> len(model.parameters())
337
>>> model([1.0, -1.0]).op                     # the last layer is linear: a dot node
'dot'
>>> model.parameters()[0].label, model([1.0, -1.0]).label   # labels from the structure
('L0.n0.w0', 'L2.n0.out')
"""

from .io import load, save
from .losses import binary_cross_entropy, cross_entropy, hinge, l2, mse
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, Optimizer, RMSProp, clip_grad_norm, linear_decay
from .record import History, Recorder
from .train import accuracy, evaluate, fit, predict

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "RMSProp",
    "Recorder",
    "accuracy",
    "binary_cross_entropy",
    "clip_grad_norm",
    "cross_entropy",
    "evaluate",
    "fit",
    "hinge",
    "l2",
    "linear_decay",
    "load",
    "mse",
    "predict",
    "save",
]
