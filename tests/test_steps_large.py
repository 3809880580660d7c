"""Steps and explain() of nodes with very many inputs stay short (issue 10)."""

from __future__ import annotations

import pytest

from autograd_core import Stepper, Value, dot, explain, sum_of
from autograd_core.steps import FULL_LIMIT, TOP


def wide(n: int) -> tuple[Value, list[Value]]:
    leaves = [Value(float(i % 7) - 3.0) for i in range(n)]
    ws = [Value(0.5 + (i % 5)) for i in range(n)]
    y = dot(ws, leaves)
    y.label = "y"
    return y, leaves


def test_step_text_is_bounded_for_any_fan_in() -> None:
    small = str(Stepper(sum_of([Value(1.0) for _ in range(2000)])).next())
    large = str(Stepper(sum_of([Value(1.0) for _ in range(20000)])).next())
    assert len(small.splitlines()) == len(large.splitlines()) == TOP + 1
    assert len(large) < 1.2 * len(small)  # only names and counts have more digits
    assert "... 19995 more inputs" in large and "full_text()" in large


def test_explain_rows_are_bounded_for_any_fan_in() -> None:
    texts = {}
    for n in (2000, 20000):
        y = sum_of([Value(1.0) for _ in range(n)])
        y.backward()
        texts[n] = str(explain(y))
    # One row per node, each row of bounded width: the text grows like the node count.
    widest = {n: max(len(line) for line in t.splitlines()) for n, t in texts.items()}
    assert widest[20000] <= widest[2000] + 10
    assert len(texts[20000]) < 12 * len(texts[2000])
    root_row = texts[20000].splitlines()[2]
    assert root_row.startswith("out") and "19995 more inputs" in root_row


def test_a_summarised_step_keeps_every_update_and_shows_the_largest() -> None:
    y, _ = wide(40)
    step = Stepper(y).next()
    assert step.summarised and len(step.updates) == 80
    lines = str(step).splitlines()
    assert len(lines) == TOP + 1
    # The lines shown are the largest |contribution|s, largest first.
    sizes = sorted((abs(u.contribution) for u in step.updates), reverse=True)
    shown = [u.contribution for u in step.largest()]
    assert [abs(c) for c in shown] == sizes[:TOP]
    assert all(step.line(u) in str(step) for u in step.largest())
    # The full text has one line per update, in argument order.
    full = step.full_text().splitlines()
    assert len(full) == 80 and step.lines(full=True) == [step.line(u) for u in step.updates]
    assert full[0].startswith("y = dot(")


def test_small_steps_are_unchanged_at_the_limit() -> None:
    xs = [Value(float(i), label=f"x{i}") for i in range(FULL_LIMIT)]
    y = sum_of(xs)
    y.label = "y"
    step = Stepper(y).next()
    assert not step.summarised
    assert str(step) == step.full_text()
    assert str(step).startswith("y = sum(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9): x0.grad")
    z = sum_of([*xs, Value(1.0, label="extra")])
    assert "sum(x0, x1, x2, ... 7 more ..., extra)" in repr(Stepper(z))


def test_html_displays() -> None:
    y, _ = wide(3000)
    s = Stepper(y)
    step = s.next()
    table = step._repr_html_()
    assert table.count("<tr>") == 1 + 20 + 1  # header, the 20 largest, "... more"
    assert "5980 more inputs" in table
    y.backward()
    page = explain(y)._repr_html_()
    assert page.count("<tr>") == 1 + 501  # header, HTML_ROWS nodes, "... more nodes"
    assert len(page) < 200_000
    x = Value(1.0, label="<x>")
    assert "&lt;x&gt;" in Stepper(x * 2).next()._repr_html_()
    assert not hasattr(x, "_repr_html_")  # a Value keeps its one-line text repr


@pytest.mark.parametrize("n", [FULL_LIMIT + 1, 50])
def test_ties_are_broken_by_argument_order(n: int) -> None:
    step = Stepper(sum_of([Value(0.0, label=f"v{i}") for i in range(n)])).next()
    assert [u.name for u in step.largest()] == [f"v{i}" for i in range(TOP)]
