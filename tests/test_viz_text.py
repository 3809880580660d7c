"""viz.tree: the graph as indented text (issue 5)."""

from __future__ import annotations

import sys

import pytest

import viz
from autograd_core import Value
from viz.text import DEFAULT_TREE_LINES, MAX_INDENT, TextTree


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
    assert lines[0].startswith("out = tanh(n)  data=-0.9993  grad=1.0000")
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


def chain(depth: int) -> Value:
    y = Value(0.1, label="x")
    for _ in range(depth):
        y = y + 1.0
    return y


def test_deep_chain_does_not_recurse() -> None:
    depth = sys.getrecursionlimit() + 50
    lines = viz.tree(chain(depth), show_grad=False, max_nodes=None).splitlines()
    # each + has the running value and an unlabelled constant 1.0 leaf
    assert len(lines) == 2 * depth + 1
    (x_line,) = [line for line in lines if line.endswith("── x  data=0.1000")]
    # indentation stops growing after MAX_INDENT levels; deeper lines say their depth
    assert x_line.startswith(f"[depth {depth}] ")
    assert len(x_line) == len(f"[depth {depth}] ") + 4 * MAX_INDENT + len(" x  data=0.1000") - 1
    assert lines[3].startswith("│   │   ├── ")  # shallow lines are drawn as before


def test_tree_output_grows_linearly_with_depth() -> None:
    # Before: every line carried 4 characters per level (a 21k chain: 8 s, 3 GB).
    small = len(viz.tree(chain(1000), max_nodes=None))
    large = len(viz.tree(chain(4000), max_nodes=None))
    assert large / small < 4 * 1.3  # quadratic would be about 16


def test_tree_stops_at_max_nodes_and_says_what_was_left_out() -> None:
    lines = viz.tree(chain(5000)).splitlines()
    assert len(lines) == DEFAULT_TREE_LINES + 1
    assert lines[-1].startswith(f"... cut at {DEFAULT_TREE_LINES} lines: ")
    assert f"{2 * 5000 + 1 - DEFAULT_TREE_LINES} of {2 * 5000 + 1} nodes not printed" in lines[-1]
    assert "max_nodes=None" in lines[-1]
    short = viz.tree(make(), max_nodes=3).splitlines()
    assert len(short) == 4 and "pass max_nodes=None" in short[-1]
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="max_nodes must be a positive int or None"):
            viz.tree(make(), max_nodes=bad)


def test_control_characters_in_labels_are_shown_escaped() -> None:
    # Before: raw ESC and BEL reached the terminal.
    x = Value(1.0, label="\x1b[31mred\x07\u202e")
    y = x * 2.0
    y.label = "a\ud800b"
    text = viz.tree(y)
    assert "\x1b" not in text and "\x07" not in text and "\ud800" not in text
    assert "\u202e" not in text
    assert "\\x1b[31mred\\x07\\u202e" in text and "a\\ud800b" in text
    text.encode("utf-8")


def test_a_non_str_label_is_printed_as_text() -> None:
    x = Value(2.0, label="x")
    y = x * 3.0
    y.label = 7  # type: ignore[assignment]
    assert viz.tree(y).splitlines()[0].startswith("7 = x * t1  data=6.0000")


def test_tree_displays_as_itself() -> None:
    t = viz.tree(make())
    assert isinstance(t, TextTree) and isinstance(t, str)
    assert repr(t) == str(t) and "\n" in repr(t)
    x = Value(1.0, label="<b>&")
    html = viz.tree(x * 2.0)._repr_html_()
    assert html.startswith("<pre>") and html.endswith("</pre>") and "&lt;b&gt;&amp;" in html
    printed = []

    class Printer:
        def text(self, s: str) -> None:
            printed.append(s)

    t._repr_pretty_(Printer(), False)
    assert printed == [str(t)]


def test_a_field_set_by_hand_to_a_non_number_is_shown_not_a_crash() -> None:
    import viz
    from autograd_core import Value

    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    y.grad = "oops\x1b"
    text = viz.tree(y)
    assert "grad='oops\\x1b'" in text and "\x1b" not in text
    # The drawing colours by number: a non-number grad is drawn as NaN (grey), not a crash.
    assert "grad nan" in viz.draw_dot(y).source
