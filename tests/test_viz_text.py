"""viz.tree: the graph as indented text (issue 5)."""

from __future__ import annotations

import sys

import pytest

import viz
from autograd_core import Value


def make() -> Value:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    n = x * w + x
    n.label = "n"
    return n.tanh()


def test_tree_shows_data_grad_and_references_shared_nodes() -> None:
    root = make()
    root.backward()
    lines = viz.tree(root).splitlines()
    assert lines[0].startswith("t2 = tanh(n)  data=-0.9993  grad=1.0000")
    assert lines[1] == "└── n = t1 + x  data=-4.0000  grad=0.0013"
    assert lines[2] == "    ├── t1 = x * w  data=-6.0000  grad=0.0013"
    assert lines[3] == "    │   ├── x  data=2.0000  grad=-0.0027"
    assert lines[4] == "    │   └── w  data=-3.0000  grad=0.0027"
    assert lines[5] == "    └── x  (see above)"
    assert len(lines) == 6


def test_tree_is_deterministic_and_graph_independent_of_identity() -> None:
    assert viz.tree(make()) == viz.tree(make())


def test_tree_without_grad_and_bad_input() -> None:
    assert "grad=" not in viz.tree(make(), show_grad=False)
    with pytest.raises(TypeError, match="tree\\(\\) draws a Value"):
        viz.tree(1.0)  # type: ignore[arg-type]


def test_deep_chain_does_not_recurse() -> None:
    x = Value(0.1, label="x")
    y = x
    depth = sys.getrecursionlimit() + 50
    for _ in range(depth):
        y = y + 1.0
    lines = viz.tree(y, show_grad=False).splitlines()
    # each + has the running value and an unlabelled constant 1.0 leaf
    assert len(lines) == 2 * depth + 1
    (x_line,) = [line for line in lines if line.endswith("── x  data=0.1000")]
    assert len(x_line) == len("── x  data=0.1000") + 4 * depth - 3
