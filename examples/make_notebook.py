"""Write ``seeing_backprop.ipynb`` from the cells below (run: python examples/make_notebook.py).

The notebook is kept without outputs; ``tests/test_notebook.py`` executes it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# Seeing backprop

A neuron, then a small network: draw the computation graph, read the numbers behind
`backward()`, and step through the backward pass one chain-rule step at a time, inline.
Everything here runs offline: no server, no network, no system Graphviz (the WebAssembly
Graphviz from PyPI draws the graphs)."""),
    ("code", """import viz
from autograd_core import Stepper, Value, explain, zero_grad"""),
    ("md", """## One neuron

`o = tanh(x*w + b)`, with labels so the drawing and the steps use our names."""),
    ("code", """x = Value(2.0, label="x")
w = Value(-3.0, label="w")
b = Value(6.8813735870195432, label="b")
n = x * w + b
n.label = "n"
o = n.tanh()
o.label = "o"
o.backward()
viz.draw_dot(o)"""),
    ("md", """`explain` lists every node with its data, gradient and local derivatives. A `Value`
keeps its one-line text repr."""),
    ("code", """explain(o)"""),
    ("code", """o"""),
    ("md", """## Stepping through backward

A `Stepper` runs `backward()` one node at a time. Displayed, it is the stepping page: use
Previous/Next, the arrow keys or the slider; drag to pan, the wheel or the buttons to zoom.
The node being processed is outlined in red, the parents receiving its gradient in orange,
and the panel on the right lists the step's gradient updates. Leaves accumulate gradients,
so reset them first."""),
    ("code", """zero_grad([x, w, b])
s = Stepper(o)
s"""),
    ("md", """`next()` applies one step and returns it; a `Step` shows as a table of its
updates."""),
    ("code", """s.next()"""),
    ("code", """s.rest()
x.grad, w.grad, b.grad"""),
    ("md", """## A small network

An MLP labels its parameters by their place (`L0.n1.w0` is layer 0, neuron 1, weight 0),
its neurons' nodes `L0.n1.z` (the `dot`) and `L0.n1.out` (the activation), and the inputs
`x0, x1`. Each neuron and each layer is drawn as a group."""),
    ("code", """from nn import MLP
from nn.losses import hinge

model = MLP(2, [3, 3, 1], seed=1)
loss = hinge([model([0.5, -1.2])], [1.0])
loss.backward()
viz.draw_dot(loss)"""),
    ("md", """`collapse="neuron"` draws each neuron as one node: its output's data and grad, and a
summary of its weights' gradients."""),
    ("code", """viz.draw_dot(loss, collapse="neuron")"""),
    ("code", """model.zero_grad()
Stepper(loss)"""),
    ("md", """## The demo's network

The 2-16-16-1 network of `autograd-core demo` on one point is about 420 values. The page
follows the step: each `Next` brings the node being processed into view. A neuron of the
second layer has 33 inputs; its step shows the largest contributions, with all of them one
click away."""),
    ("code", """big = MLP(2, [16, 16, 1], seed=1337)
Stepper(hinge([big([0.5, -1.2])], [1.0]))"""),
    ("md", """## Watching it learn

`fit(..., live=True)` redraws one output after every epoch: the loss so far and, for 2-D
inputs, the decision boundary with the data (in a terminal it is the usual progress bar).
With `record=True` as well, `viz.training.training_page(model, history, X, y, path)` writes
the whole run to one page: an epoch slider over the curves, the boundary, the weights, each
layer's gradient norm, and any point's backward pass."""),
    ("code", """from nn import fit
from nn.datasets import make_moons

X, y = make_moons(60, noise=0.1, seed=0)
net = MLP(2, [8, 8, 1], seed=0)
history = fit(net, X, y, loss="hinge", optimizer="adam", lr=0.05, epochs=20, live=True,
              record=True)"""),
    ("code", """history.live.updates, len(history["loss"]), max(history.record.snapshots)"""),
    ("md", """## Trace once, replay on lanes

Training builds the same graph for every example. `trace` records one example's loss
once, as a flat list of instructions; on NumPy arrays (one lane per example) it replays the
whole batch at once. Instructions of one level with the same op become one NumPy call, and
a layer's `dot` nodes one matrix product: the plan below is the batch's forward pass, and
backward runs it in reverse (`dW = G @ X.T`, `dX = W.T @ G`)."""),
    ("code", """import numpy as np

from autograd_core import trace

params = net.parameters()
tape = trace(lambda x0, x1, t: hinge([net([x0, x1])], [t]), 0.0, 0.0, 1.0, params=params)
columns = [*np.array(X).T, np.array(y, dtype=float)]  # one array per argument
print(f"{len(tape)} instructions per example")
print(tape.lane_listing(*columns, *(p.data for p in params)))"""),
    ("md", """`fit(..., compile=True)` trains that way: the same history as the interpreter (to
1e-9), many times faster."""),
    ("code", """import time

for compile in (False, True):
    start = time.perf_counter()
    h = fit(MLP(2, [16, 16, 1], seed=0), X, y, loss="hinge", optimizer="adam", lr=0.05,
            epochs=30, batch_size=10, compile=compile, progress=False)
    spent = time.perf_counter() - start
    print(f"compile={compile}: {spent:.2f} s, final loss {h['loss'][-1]:.6f}")"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, cells in order, with the venv's Python 3 kernel named."""
    cells = [new_markdown_cell(text) if kind == "md" else new_code_cell(text)
             for kind, text in CELLS]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main() -> Path:
    """Write the notebook next to this script and return its path."""
    path = Path(__file__).with_name("seeing_backprop.ipynb")
    nbformat.validate(notebook := build())
    path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(main())
