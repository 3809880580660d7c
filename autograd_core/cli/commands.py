"""What each ``autograd-core`` command does, once its arguments are parsed."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from ..files import atomic_write, check_writable
from ..graph import gradients
from ..value import Value
from .expr import MAX_LENGTH, ExprError, Expression, bind, load_vars_file, parse, parse_assignments
from .output import Style, json_number, number, shorten, table


class UserError(Exception):
    """A mistake by the user, reported as one line on stderr with exit status 2."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # extra lines, such as an expression with a caret under a mistake


PROG = "autograd-core"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (then exit status 2)."""

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments: -" in message:
            message += (" (an expression that starts with '-' goes after --, as in "
                        f"{PROG} grad -- '-x**2' x=1)")
        raise UserError(f"{shorten(message, 300)} (see {self.prog} --help)")


class EnvironmentProblem(Exception):
    """Something missing around us (no Graphviz renderer): one line on stderr, exit status 1."""


def _note(text: str) -> None:
    """A progress note on standard error; nothing if it is closed or fails (it is only a
    note: the command's result does not depend on it)."""
    if sys.stderr is None:
        return
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _user_error(exc: ExprError) -> UserError:
    return UserError(exc.message, exc.caret() if exc.message.startswith("syntax error") else "")


# --------------------------------------------------------------------------- shared steps
def read_expression(text: str) -> str:
    """The expression argument; ``-`` reads it from standard input (for long expressions)."""
    if text != "-":
        return text
    if sys.stdin is None:
        raise UserError("cannot read the expression from standard input: it is closed")
    try:
        data = sys.stdin.read(MAX_LENGTH + 1)  # at most one character more than allowed
    except UnicodeDecodeError:
        raise UserError("the expression on standard input is not valid text") from None
    except OSError as exc:
        raise UserError(
            f"cannot read the expression from standard input ({exc.strerror or exc})"
        ) from None
    if len(data) > MAX_LENGTH:
        raise UserError(
            f"the expression on standard input is too long: more than {MAX_LENGTH} "
            "characters"
        )
    return data


@dataclass
class Bound:
    """An expression, its variables' values and their leaves (labelled with their names)."""

    expression: Expression
    values: dict[str, float]
    leaves: list[Value]
    output: Any  # a Value, or a float when the expression has no variables


def bind_arguments(args: argparse.Namespace) -> Bound:
    """Parse the expression and its variables (``name=value`` and ``--vars``) and evaluate it."""
    try:
        expression = parse(read_expression(args.expression))
        given: dict[str, float] = {}
        if args.vars is not None:
            given.update(load_vars_file(args.vars))
        given.update(parse_assignments(args.assignments))  # the command line wins
        values = bind(expression, given)
        leaves = [Value(v, label=name) for name, v in values.items()]
        output = expression.evaluate(dict(zip(values, leaves, strict=True)))
    except ExprError as exc:
        raise _user_error(exc) from None
    return Bound(expression, values, leaves, output)


def _root(bound: Bound) -> Value:
    """The output as a Value labelled ``f`` (a constant expression becomes one leaf)."""
    out = bound.output
    root = out if isinstance(out, Value) else Value(out)
    if not root.label:  # a bare variable keeps its name
        root.label = "f" if "f" not in bound.values else "out"
    return root


# --------------------------------------------------------------------------- grad
@dataclass
class GradResult:
    expression: str
    values: dict[str, float]
    value: float
    gradient: dict[str, float]
    hessian: dict[str, dict[str, float]] | None


def compute_grad(bound: Bound, second: bool) -> GradResult:
    """The value, every partial derivative and (with ``second``) every second derivative."""
    names = list(bound.values)
    out = bound.output
    leaves = bound.leaves
    hessian: dict[str, dict[str, float]] | None = None
    if not isinstance(out, Value):
        value = float(out)
        first = [0.0] * len(leaves)
        if second:
            hessian = {a: dict.fromkeys(names, 0.0) for a in names}
    else:
        value = out.data
        try:
            first = [float(g) for g in gradients(out, leaves)]
            if second:
                hessian = {}
                for name, g in zip(names, gradients(out, leaves, create_graph=True),
                                   strict=True):
                    row = gradients(g, leaves) if isinstance(g, Value) else [0.0] * len(leaves)
                    hessian[name] = {b: float(h) for b, h in zip(names, row, strict=True)}
        except (ValueError, ArithmeticError) as exc:
            raise UserError(f"the derivative is undefined at this point: {exc}") from None
    return GradResult(
        expression=bound.expression.text.strip(),
        values=dict(bound.values),
        value=value,
        gradient=dict(zip(names, first, strict=True)),
        hessian=hessian,
    )


def format_grad(result: GradResult, style: Style) -> str:
    """The ``grad`` command's text: a header, then value and derivatives, aligned."""
    at = ", ".join(f"{name} = {number(v)}" for name, v in result.values.items())
    lines = [style.bold(result.expression) + (f"   at {at}" if at else "")]
    rows: list[tuple[str, float]] = [("value", result.value)]
    rows += [(f"d/d{name}", g) for name, g in result.gradient.items()]
    if result.hessian is not None:
        names = list(result.hessian)
        for i, a in enumerate(names):
            for b in names[i:]:
                label = f"d2/d{a}2" if a == b else f"d2/d{a} d{b}"
                rows.append((label, result.hessian[a][b]))
    lines += table(rows, style)
    return "\n".join(lines)


def grad_json(result: GradResult) -> str:
    """The ``grad`` command's ``--json`` output (inf and NaN as strings)."""
    data: dict[str, Any] = {
        "expression": result.expression,
        "variables": {k: json_number(v) for k, v in result.values.items()},
        "value": json_number(result.value),
        "gradient": {k: json_number(v) for k, v in result.gradient.items()},
    }
    if result.hessian is not None:
        data["hessian"] = {
            a: {b: json_number(h) for b, h in row.items()} for a, row in result.hessian.items()
        }
    return json.dumps(data, indent=2, allow_nan=False)


def _leaf_named(bound: Bound, name: str, option: str) -> Value:
    """The leaf of variable ``name`` (a UserError naming the variables if there is none)."""
    for leaf in bound.leaves:
        if leaf.label == name:
            return leaf
    known = ", ".join(shorten(n, 40) for n in list(bound.values)[:10]) or "none"
    raise UserError(f"{option} {shorten(name, 60)}: not a variable of the expression "
                    f"(its variables: {known})")


def compute_paths(bound: Bound, names: Sequence[str]) -> list[Any]:
    """``gradient_paths`` from each variable in ``names`` to the output (refused, as a
    UserError, above ``PATH_LIMIT`` paths)."""
    from .. import steps

    limit = steps.PATH_LIMIT
    root = _root(bound)
    found = []
    for name in names:
        leaf = _leaf_named(bound, name, "--paths")
        count = steps.count_paths(root, leaf)
        if count > limit:
            shown = f"{count:.3e}" if count >= 10**12 else str(count)
            raise UserError(
                f"--paths {shorten(name, 60)}: {shown} paths lead from {shorten(name, 60)} "
                f"to the output, more than {limit}; they are counted, not listed "
                f"(the gradient itself is printed without --paths)"
            )
        try:
            found.append(steps.gradient_paths(root, leaf, limit=limit))
        except (ValueError, ArithmeticError) as exc:
            raise UserError(f"the derivative is undefined at this point: {exc}") from None
    return found


def paths_json(paths: Any) -> dict[str, Any]:
    """One ``gradient_paths`` result as JSON-ready data."""
    return {
        "count": len(paths),
        "gradient": json_number(paths.gradient),
        "sum": json_number(paths.total),
        "agrees": paths.agrees,
        "paths": [
            {"nodes": list(p.names), "locals": [json_number(d) for _, _, d in p.edges],
             "product": json_number(p.product)}
            for p in paths
        ],
    }


def run_grad(args: argparse.Namespace) -> int:
    bound = bind_arguments(args)
    result = compute_grad(bound, args.second)
    wanted = list(dict.fromkeys(args.paths or []))
    paths = compute_paths(bound, wanted) if wanted else []
    if args.json:
        if wanted:
            data = json.loads(grad_json(result))
            data["paths"] = {name: paths_json(p) for name, p in zip(wanted, paths, strict=True)}
            print(json.dumps(data, indent=2, allow_nan=False))
        else:
            print(grad_json(result))
    else:
        print(format_grad(result, Style.for_stream(sys.stdout)))
        for p in paths:
            print()
            print(str(p))
    return 0


# --------------------------------------------------------------------------- graph
GRAPH_FORMATS = (".svg", ".dot")


def _check_output_path(path: str, option: str, suffixes: Sequence[str]) -> None:
    """Refuse a bad output file before any work: a wrong suffix, or what ``atomic_write``
    would refuse (a missing folder, a file where the folder should be, a FIFO, a device, a
    folder, a read-only file)."""
    where = f"{option} {shorten(path, 120)}"
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in suffixes:
        raise UserError(f"{where}: the file name must end in {' or '.join(suffixes)}")
    try:
        check_writable(path)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            directory = os.path.dirname(os.path.abspath(path))
            raise UserError(
                f"{where}: the directory {shorten(directory, 80)} does not exist"
            ) from None
        if isinstance(exc, IsADirectoryError):
            raise UserError(f"{where}: is a directory") from None
        reason = shorten(" ".join((exc.strerror or str(exc)).split()), 200)
        raise UserError(f"{where}: {reason}") from None
    except ValueError:  # a NUL character in the name
        raise UserError(f"{where}: not a usable file name") from None


def run_graph(args: argparse.Namespace) -> int:
    """Draw the graph: DOT on stdout, ``-o`` an SVG or DOT file, ``--html`` a stepping page."""
    import viz
    from viz.render import RendererNotFound, RenderError, render_timeout

    _check_forward_options(args, "graph")
    if args.forward and args.html is None:
        raise UserError("graph: --forward draws the stepping page in forward mode; add "
                        "--html PAGE.html")
    if args.output is not None:
        _check_output_path(args.output, "-o", GRAPH_FORMATS)
    if args.html is not None:
        _check_output_path(args.html, "--html", (".html", ".htm"))
    try:
        render_timeout()  # a bad AUTOGRAD_CORE_RENDER_TIMEOUT is the user's to fix
    except ValueError as exc:
        raise UserError(str(exc)) from None
    bound = bind_arguments(args)
    root = _root(bound)
    tangents = direction(args, bound, "graph --forward") if args.forward else None
    show_grad = not args.no_grad
    if show_grad:
        root.backward()
    options = {"rankdir": args.rankdir, "show_grad": show_grad}
    try:
        if args.output is None and args.html is None:
            print(viz.draw_dot(root, **options).source)
        if args.output is not None:
            if args.output.lower().endswith(".svg"):
                viz.save_svg(root, args.output, **options)
            else:
                atomic_write(args.output, viz.draw_dot(root, **options).source)
            _note(f"wrote {shorten(args.output, 300)}")
        if args.html is not None:
            if tangents is not None:
                viz.backward_page(root, args.html, rankdir=args.rankdir, mode="forward",
                                  tangents=tangents)
            else:
                viz.backward_page(root, args.html, rankdir=args.rankdir)
            _note(f"wrote {shorten(args.html, 300)}")
    except (RendererNotFound, RenderError) as exc:
        raise EnvironmentProblem(str(exc)) from None
    except BrokenPipeError:
        raise
    except OSError as exc:  # the file could not be written: read-only, full disk...
        if exc.filename is None:  # standard output (full, closed): main() says so
            raise
        where = shorten(str(exc.filename), 120)
        reason = shorten(exc.strerror or str(exc), 200)
        raise UserError(f"cannot write {where}: {reason}") from None
    return 0


# --------------------------------------------------------------------------- step
STEP_PROMPT = "[Enter] next step, [a] all, [q] quit: "


def _is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; False for a closed stream (``<&-`` makes it None)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except (OSError, ValueError):
        return False


def direction(args: argparse.Namespace, bound: Bound, command: str) -> dict[Value, float]:
    """The tangents of forward mode from ``--wrt`` (each 1.0) or ``--tangent NAME=VALUE``;
    by default 1.0 on the first variable."""
    wrt = list(getattr(args, "wrt", None) or [])
    given = list(getattr(args, "tangent", None) or [])
    if wrt and given:
        raise UserError(f"{command}: give --wrt or --tangent, not both (--wrt x is "
                        "--tangent x=1)")
    if not bound.leaves:
        raise UserError(f"{command}: the expression has no variables, so no direction to "
                        "differentiate along")
    if given:
        try:
            values = parse_assignments(given)
        except ExprError as exc:
            raise UserError(f"--tangent {exc.message}") from None
        return {_leaf_named(bound, name, "--tangent"): t for name, t in values.items()}
    if not wrt:
        return {bound.leaves[0]: 1.0}
    return {_leaf_named(bound, name, "--wrt"): 1.0 for name in dict.fromkeys(wrt)}


def direction_text(tangents: dict[Value, float]) -> str:
    """``x.dot = 1.0, y.dot = 0.0``: the seeded tangents, in words."""
    return ", ".join(f"{leaf.label}.dot = {number(t)}" for leaf, t in tangents.items())


def _check_forward_options(args: argparse.Namespace, command: str) -> None:
    if not args.forward and (args.wrt or args.tangent):
        raise UserError(f"{command}: --wrt and --tangent choose the direction of forward "
                        "mode; add --forward")


def _forward_ending(root: Value, tangents: dict[Value, float], value: float,
                    style: Style) -> str:
    if len(tangents) == 1 and next(iter(tangents.values())) == 1.0:
        label = f"d{root.label}/d{next(iter(tangents)).label}"
    else:
        label = f"d{root.label} along ({direction_text(tangents)})"
    return "\n".join(table([(label, value)], style))


def run_step(args: argparse.Namespace) -> int:
    """Print the backward pass (``--forward``: forward mode) one step at a time, waiting
    for a key on a terminal."""
    from .. import steps

    _check_forward_options(args, "step")
    bound = bind_arguments(args)
    root = _root(bound)
    tangents: dict[Value, float] = {}
    if args.forward:
        tangents = direction(args, bound, "step --forward")
        stepper = steps.Stepper(root, mode="forward", tangents=tangents)
    else:
        stepper = steps.Stepper(root)
    interactive = _is_terminal(sys.stdin) and _is_terminal(sys.stdout) and not args.all
    style = Style.for_stream(sys.stdout)
    plural = "step" if stepper.total == 1 else "steps"
    kind = (f"forward mode, {direction_text(tangents)}: " if args.forward
            else "backward pass: ")
    print(style.bold(f"{root.label} = {bound.expression.text.strip()}") +
          f"   {kind}{stepper.total} {plural}")
    while not stepper.done:
        print(str(stepper.next()))
        if not interactive or stepper.done:
            continue
        # The prompt goes to stdout with the steps (input() would send it to stderr).
        sys.stdout.write(style.dim(STEP_PROMPT))
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:  # end of input: stop, as q does
            print()
            return 0
        answer = line.strip().lower()
        if answer.startswith("q"):
            return 0
        if answer.startswith("a"):
            for step in stepper.rest():
                print(str(step))
    if args.forward:
        value = stepper.tangents.get(root, tangents.get(root, 0.0))
        print(_forward_ending(root, tangents, float(value), style))
    elif bound.leaves:
        rows = [(f"d{root.label}/d{leaf.label}", float(leaf.grad)) for leaf in bound.leaves]
        print("\n".join(table(rows, style)))
    return 0


# --------------------------------------------------------------------------- demo
def _demo_file_problem(exc: OSError) -> str:
    """One line for a file the demo could not write (a FIFO, a file where --out's folder
    should be, a read-only folder, a full disk)."""
    name = shorten(os.fsdecode(exc.filename) if isinstance(exc.filename, (str, bytes))
                   else str(exc.filename), 200)
    reason = shorten(" ".join((exc.strerror or str(exc)).split()), 200)
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return (f"demo: cannot write into {name}: it is a file, not a folder; give --out a "
                "folder (it is made if missing)")
    return f"demo: cannot write {name}: {reason}; choose another --out folder"


DEMO_EXPRESSION = "tanh(x*w + b)"
DEMO_VALUES = ("x=2", "w=-3", "b=6.8813735870195432")


def engine_demo(argv: Sequence[str]) -> int:
    """The demo when the network demo (``nn.demo``) is not there: one neuron's gradients."""
    parser = _Parser(
        prog=f"{PROG} demo",
        description="Show the value and the gradients of one neuron, tanh(x*w + b). (The "
        "network demo runs instead when nn.demo is installed.)",
        epilog=f"example:\n  {PROG} demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(list(argv))
    args = argparse.Namespace(
        expression=DEMO_EXPRESSION, assignments=list(DEMO_VALUES), vars=None,
        json=False, second=False, paths=None,
    )
    print("One neuron, o = tanh(x*w + b), and d o / d each input:")
    return run_grad(args)


def run_demo(argv: Sequence[str]) -> int:
    """Forward ``argv`` to ``nn.demo.main``; without it, run the engine demo."""
    try:
        from nn import demo as nn_demo
    except ModuleNotFoundError as exc:
        if exc.name not in ("nn", "nn.demo"):
            _note(f"autograd-core demo: the network demo needs {exc.name!r} "
                  f"(pip install 'autograd-core[demo]'); showing the engine demo")
        return engine_demo(argv)
    except ImportError as exc:
        _note(f"autograd-core demo: the network demo cannot load ({exc}); "
              "showing the engine demo")
        return engine_demo(argv)
    entry = getattr(nn_demo, "main", None)
    if not callable(entry):
        return engine_demo(argv)
    try:
        result = entry(list(argv))
    except (BrokenPipeError, KeyboardInterrupt):
        raise
    except OSError as exc:
        if exc.filename is None:
            raise  # standard output: main() says so
        raise UserError(_demo_file_problem(exc)) from None
    if result is None:
        return 0
    return int(result) if isinstance(result, int) else 1
