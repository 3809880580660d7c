"""Step-by-step backward: backward_steps, Stepper, explain (issue 5)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import (
    Stepper,
    Value,
    backward_steps,
    dot,
    explain,
    primitive,
    sum_of,
)
from autograd_core.steps import node_names

# --------------------------------------------------------------------------- random graphs
# A graph is a recipe: leaf numbers, then ops that each pick earlier nodes by index. Building
# the recipe twice gives two identical, independent graphs: one for backward(), one for steps.
UNARY = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "relu": lambda x: x.relu(),
    "neg": lambda x: -x,
    "abs": lambda x: abs(x),
    "square": lambda x: x**2,
    "exp_small": lambda x: (x.tanh()).exp(),
    "log_pos": lambda x: (x * x + 1).log(),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (b * b + 1),
    "const": lambda a, b: 2.5 * a - b,
}
finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@st.composite
def recipes(draw: st.DrawFn) -> dict:
    leaves = draw(st.lists(finite, min_size=1, max_size=4))
    prior = draw(st.lists(finite, min_size=len(leaves), max_size=len(leaves)))
    ops = []
    for i in range(draw(st.integers(0, 12))):
        size = len(leaves) + i
        kind = draw(st.sampled_from(["unary", "binary", "dot", "sum"]))
        if kind == "unary":
            ops.append(("unary", draw(st.sampled_from(sorted(UNARY))),
                        [draw(st.integers(0, size - 1))]))
        elif kind == "binary":
            ops.append(("binary", draw(st.sampled_from(sorted(BINARY))),
                        draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=2))))
        else:
            ops.append((kind, "", draw(st.lists(st.integers(0, size - 1), min_size=1,
                                                max_size=5))))
    seed = draw(st.one_of(st.none(), finite))
    return {"leaves": leaves, "prior": prior, "ops": ops, "seed": seed}


def build(recipe: dict) -> tuple[Value, list[Value]]:
    nodes = [Value(x) for x in recipe["leaves"]]
    leaves = list(nodes)
    for leaf, g in zip(leaves, recipe["prior"], strict=True):
        leaf.grad = g  # leaves accumulate: steps must add to what is there
    for kind, name, args in recipe["ops"]:
        xs = [nodes[i] for i in args]
        if kind == "unary":
            nodes.append(UNARY[name](xs[0]))
        elif kind == "binary":
            nodes.append(BINARY[name](*xs))
        elif kind == "sum":
            nodes.append(sum_of(xs))
        else:
            half = max(1, len(xs) // 2)
            ws, ins = xs[:half], (xs[half:] + xs)[:half]
            nodes.append(dot(ws, ins, bias=xs[-1] if len(xs) % 2 else None))
    return nodes[-1], nodes


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@given(recipes())
def test_steps_reproduce_backward_exactly(recipe: dict) -> None:
    root_a, nodes_a = build(recipe)
    root_b, nodes_b = build(recipe)
    root_a.backward(recipe["seed"])
    steps = list(backward_steps(root_b, recipe["seed"]))
    for a, b in zip(nodes_a, nodes_b, strict=True):
        assert same(a.grad, b.grad), (a, b)
    # One step per node with parents, each node once.
    with_parents = {id(n) for n in _reachable(root_b) if n.parents}
    assert [id(s.node) for s in steps] == list(dict.fromkeys(id(s.node) for s in steps))
    assert {id(s.node) for s in steps} == with_parents
    # Each step comes before the steps of its parents (the chain rule's order).
    position = {id(s.node): i for i, s in enumerate(steps)}
    for s in steps:
        for parent in s.node.parents:
            assert position.get(id(parent), len(steps)) > position[id(s.node)]


def _reachable(root: Value) -> list[Value]:
    stack, seen, out = [root], set(), []
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            out.append(node)
            stack.extend(node.parents)
    return out


@given(recipes())
def test_step_records_are_consistent(recipe: dict) -> None:
    root, _ = build(recipe)
    for step in backward_steps(root, recipe["seed"]):
        assert same(step.upstream, step.node.grad)
        assert len(step.updates) == len(step.node.parents)
        for update in step.updates:
            assert update.parent is step.node.parents[update.index]
            assert same(update.contribution, update.local * step.upstream)


# --------------------------------------------------------------------------- oracle
def central_difference(fn, xs: list[float], i: int, h: float = 1e-6) -> float:
    up = list(xs)
    down = list(xs)
    up[i] += h
    down[i] -= h
    return (fn(up) - fn(down)) / (2 * h)


@pytest.mark.parametrize(
    ("fn", "xs"),
    [
        (lambda v: (v[0] * v[1] + v[2]).tanh(), [0.3, -1.2, 0.5]),
        (lambda v: (v[0] / (v[1] * v[1] + 1)).sigmoid() - v[0].sin(), [0.7, 1.1]),
        (lambda v: dot([v[0], v[1]], [v[2], v[0]], bias=v[1]).exp() ** 2, [0.2, -0.4, 0.3]),
        (lambda v: sum_of([v[0].cos(), abs(v[1]), (v[0] * v[1]).log()]), [1.3, 0.6]),
    ],
)
def test_steps_match_finite_differences(fn, xs: list[float]) -> None:
    """Final gradients and every local derivative in the steps against central differences."""
    leaves = [Value(x) for x in xs]
    root = fn(leaves)
    steps = list(root.backward_steps())
    for i, leaf in enumerate(leaves):
        oracle = central_difference(lambda v: fn([Value(x) for x in v]).data, xs, i)
        assert leaf.grad == pytest.approx(oracle, rel=1e-5, abs=1e-6)
    for step in steps:
        op = step.node._op
        inputs = [p.data for p in step.node.parents]
        for update in step.updates:
            if op.arity is None:
                forward = lambda v, op=op: op.forward(v)  # noqa: E731
            else:
                forward = lambda v, op=op: op.forward(*v)  # noqa: E731
            oracle = central_difference(forward, inputs, update.index)
            assert update.local == pytest.approx(oracle, rel=1e-5, abs=1e-6)


# --------------------------------------------------------------------------- text
def test_step_reads_like_the_chain_rule() -> None:
    n = Value(math.atanh(math.sqrt(0.5)), label="n")
    o = n.tanh()
    o.label = "o"
    (step,) = list(backward_steps(o))
    assert str(step) == "o = tanh(n): n.grad += (1 - o**2) * o.grad = 0.5 * 1.0 = 0.5"
    assert step.name == "o" and step.upstream == 1.0
    assert step.updates[0].local == pytest.approx(0.5)


def test_binary_step_lists_each_parent_and_running_totals() -> None:
    a = Value(3.0, label="a")
    b = Value(-2.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    steps = list(d.backward_steps())
    assert str(steps[0]).splitlines() == [
        "d = c + a: c.grad += 1 * d.grad = 1.0 * 1.0 = 1.0",
        "           a.grad += 1 * d.grad = 1.0 * 1.0 = 1.0",
    ]
    assert str(steps[1]).splitlines() == [
        "c = a * b: a.grad += b * c.grad = -2.0 * 1.0 = -2.0 (now -1.0)",
        "           b.grad += a * c.grad = 3.0 * 1.0 = 3.0",
    ]


def test_generated_names_are_short_unique_and_avoid_labels() -> None:
    x = Value(1.0, label="x")
    t1 = Value(2.0, label="t1")  # a label that looks like a generated name
    y = (x * t1).exp() + x
    names = node_names(y)
    assert len(set(names.values())) == len(names)
    assert names[x] == "x" and names[t1] == "t1"
    generated = [name for node, name in names.items() if not node.label and node is not y]
    assert all(name.startswith("t") and name[1:].isdigit() for name in generated)
    assert "t1" not in generated
    assert names[y] == "out"  # an unlabelled root


def test_root_is_called_out_or_by_its_label() -> None:
    x = Value(1.0, label="x")
    y = x * 2
    assert node_names(y)[y] == "out"
    y.label = "loss"
    assert node_names(y)[y] == "loss"
    # A user label "out" elsewhere keeps its name; the unlabelled root steps aside.
    inner = (x + 1).tanh()
    inner.label = "out"
    root = inner * 3
    names = node_names(root)
    assert names[inner] == "out" and names[root] == "out_2"
    assert len(set(names.values())) == len(names)
    # Only the root is "out": an unlabelled intermediate keeps a generated name.
    assert all(n == "out" or n.startswith("t") or n in ("x", "out_2") for n in names.values())


def test_duplicate_labels_are_told_apart() -> None:
    a = Value(1.0, label="w")
    b = Value(2.0, label="w")
    names = node_names(a * b)
    assert sorted([names[a], names[b]]) == ["w", "w_2"]


def test_operators_and_variadic_ops_render_as_expressions() -> None:
    x = Value(2.0, label="x")
    w = Value(3.0, label="w")
    b = Value(1.0, label="b")
    z = dot([w], [x], bias=b)
    z.label = "z"
    q = -(z**2)
    q.label = "q"
    text = "\n".join(str(s) for s in q.backward_steps())
    assert "q = -t1: t1.grad += -1 * q.grad" in text
    assert "t1 = z**2: z.grad += 2 * z**1 * t1.grad" in text
    assert "z = dot(w, x, b): w.grad += x * z.grad" in text
    assert "b.grad += 1 * z.grad" in text


def test_op_without_formulas_is_shown_as_a_derivative() -> None:
    cube = primitive("cube_steps_test", lambda x: x**3, lambda x, out: 3 * x * x)
    x = Value(2.0, label="x")
    y = cube(x)
    y.label = "y"
    (step,) = list(y.backward_steps())
    assert str(step) == "y = cube_steps_test(x): x.grad += dy/dx * y.grad = 12.0 * 1.0 = 12.0"


# --------------------------------------------------------------------------- Stepper
def test_stepper_walks_one_step_at_a_time() -> None:
    x = Value(0.5, label="x")
    h = (x * x).tanh()
    h.label = "h"
    loss = h * 3.0
    loss.label = "loss"
    expected_x = _reference_grads(lambda v: ((v * v).tanh() * 3.0), 0.5)

    s = Stepper(loss)
    assert s.current is None and not s.done and s.total == 3
    assert repr(s).startswith("<Stepper: 0 of 3 steps taken; next: loss = h * ")
    first = s.next()
    assert first is s.current and first.node is loss
    assert h.grad == 3.0 and x.grad == 0.0  # only the first step has run
    rest = s.rest()
    assert len(rest) == 2 and s.done and s.steps == [first, *rest]
    assert x.grad == expected_x
    assert s.next() is None and s.current is rest[-1]
    assert repr(s) == "<Stepper: all 3 steps taken>"


def _reference_grads(fn, x0: float) -> float:
    x = Value(x0)
    fn(x).backward()
    return x.grad


def test_stepper_iterates_and_handles_a_leaf_root() -> None:
    x = Value(2.0)
    s = Stepper(x)
    assert s.done and s.rest() == [] and x.grad == 1.0
    y = Value(1.0) * 2 + 1
    assert [step.index for step in Stepper(y)] == [0, 1]


def test_bad_input_is_rejected() -> None:
    with pytest.raises(TypeError, match="backward_steps\\(\\) needs a Value"):
        list(backward_steps(3.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed gradient"):
        Stepper(Value(1.0) * 2, grad="one")


# --------------------------------------------------------------------------- explain
def test_explain_tables_every_node_in_topological_order() -> None:
    x = Value(3.0, label="x")
    y = (x * x).log()
    y.label = "y"
    y.backward()
    table = explain(y)
    assert [row[0] for row in table.rows] == ["y", "t1", "x"]
    assert len(table) == 3
    _name, expr, data, grad, derivs = table.rows[1]
    assert expr == "x * x" and data == 9.0 and grad == pytest.approx(1 / 9)
    assert derivs == (("x", "x", 3.0), ("x", "x", 3.0))
    text = str(table)
    assert text.splitlines()[0].split() == ["node", "computed", "as", "data", "grad", "local",
                                            "derivatives"]
    assert "d/dt1 = 1/t1 = 0.1111" in text and repr(table) == text


def test_value_format_spec_and_one_line_repr() -> None:
    x = Value(2.0 / 3.0, label="x\nlabel")
    assert f"{x:.3f}" == "0.667"
    assert "\n" not in repr(x) and "\n" not in repr(x * 2)


# --------------------------------------------------------------------------- accumulation
def _net() -> tuple[list[Value], Value]:
    w = [Value(0.5, label="w0"), Value(-1.5, label="w1")]
    x = Value(2.0, label="x")
    o = (w[0] * x + w[1]).tanh()
    return [*w, x], o


def test_stepper_accumulates_into_leaves_like_backward_by_default() -> None:
    leaves, o = _net()
    o.backward()
    once = [leaf.grad for leaf in leaves]
    s = Stepper(o)
    s.rest()
    assert [leaf.grad for leaf in leaves] == [2 * g for g in once]  # as a second backward()
    leaves2, o2 = _net()
    o2.backward()
    o2.backward()
    assert [leaf.grad for leaf in leaves2] == [leaf.grad for leaf in leaves]


def test_stepper_zero_grad_starts_from_zero_like_the_page() -> None:
    leaves, o = _net()
    o.backward()
    once = [leaf.grad for leaf in leaves]
    s = Stepper(o, zero_grad=True)
    assert all(leaf.grad == 0.0 for leaf in leaves)  # before the first step
    s.rest()
    assert [leaf.grad for leaf in leaves] == once
    leaves, o = _net()
    o.backward()
    list(backward_steps(o, zero_grad=True))
    assert [leaf.grad for leaf in leaves] == once
    with pytest.raises(TypeError, match="zero_grad must be True or False"):
        Stepper(o, zero_grad="yes")


# --------------------------------------------------------------------------- gradient paths
def test_a_node_used_twice_is_two_paths_whose_products_add_up_to_its_grad() -> None:
    from autograd_core import gradient_paths

    a = Value(3.0, label="a")
    b = a + a
    c = b * b
    found = gradient_paths(c, a)
    assert len(found) == 4 and all(p.product == 2 * a.data for p in found)
    c.backward()
    assert found.total == found.gradient == a.grad == 8 * a.data and found.agrees
    square = a * a
    twice = gradient_paths(square, a)
    assert [p.product for p in twice] == [3.0, 3.0] and twice.total == 6.0


def test_paths_are_listed_largest_first_with_their_local_derivatives() -> None:
    from autograd_core import gradient_paths

    x = Value(2.0, label="x")
    y = x * 10.0 + x.exp() + -x
    y.label = "y"
    found = gradient_paths(y, x)
    products = [p.product for p in found]
    assert products == sorted(products, key=abs, reverse=True) == [10.0, math.exp(2.0), -1.0]
    assert [p.names[0] for p in found] == ["x"] * 3 and all(p.names[-1] == "y" for p in found)
    text = str(found)
    assert text.splitlines()[0].startswith("dy/dx = 16.39 = the sum over the 3 paths")
    assert "x -[exp(x) = 7.389]->" not in text and "-[t2 = 7.389]->" in text  # exp's rule: out
    assert text.endswith("sum: 16.39 (agrees with reverse mode's 16.39)")


@settings(max_examples=60)
@given(recipes())
def test_path_products_sum_to_the_gradient_on_random_graphs(recipe) -> None:
    from hypothesis import assume

    from autograd_core import gradient_paths, gradients
    from autograd_core.steps import count_paths

    root, nodes = build(recipe)
    for x in nodes[: len(recipe["leaves"])]:
        n = count_paths(root, x)
        assume(n <= 1000)
        found = gradient_paths(root, x)
        assert len(found) == n
        expected = gradients(root, [x])[0] if n else 0.0
        assert found.gradient == expected
        scale = 1 + math.fsum(abs(p.product) for p in found)
        assert math.isclose(found.total, expected, rel_tol=1e-9, abs_tol=1e-9 * scale)


def test_too_many_paths_are_counted_not_listed() -> None:
    from autograd_core import gradient_paths
    from autograd_core.steps import PATH_LIMIT, count_paths

    x = Value(1.0, label="x")
    y = x
    for _ in range(200):          # each doubling doubles the paths: 2**200 of them
        y = y + y
    assert count_paths(y, x) == 2**200        # counted exactly, by dynamic programming
    with pytest.raises(ValueError, match=r"1\.607e\+60 paths lead from x to out, more than "
                                         r"limit=1000; they are counted, not listed"):
        gradient_paths(y, x)
    z = x
    for _ in range(10):           # 1024 paths: just over the default limit
        z = z * 1.0 + z * 1.0
    with pytest.raises(ValueError, match="1024 paths"):
        gradient_paths(z, x)
    assert PATH_LIMIT == 1000 and len(gradient_paths(z, x, limit=1024)) == 1024


def test_paths_edge_cases() -> None:
    from autograd_core import gradient_paths

    x = Value(1.0, label="x")
    other = Value(2.0, label="w")
    y = other * 3
    none = gradient_paths(y, x)
    assert len(none) == 0 and none.total == none.gradient == 0.0
    assert str(none) == "dout/dx = 0.0: no path leads from x to out"
    itself = gradient_paths(x, x)
    assert [p.product for p in itself] == [1.0] and itself.gradient == 1.0
    deep = x
    for _ in range(20_000):       # one long path: no recursion
        deep = deep * 1.0
    (path,) = gradient_paths(deep, x)
    assert len(path.edges) == 20_000 and path.product == 1.0
    with pytest.raises(ValueError, match="limit must be a positive int"):
        gradient_paths(y, x, limit=0)
    with pytest.raises(TypeError, match="needs the input as a Value"):
        gradient_paths(y, 1.0)
