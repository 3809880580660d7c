"""The ``autograd-core`` command line: gradients of an expression without writing a script.

    autograd-core grad "tanh(x*w + b)" x=2 w=-3 b=6.8813735870195432
    autograd-core demo

Expressions are parsed by :mod:`autograd_core.cli.expr` into a small whitelisted language and
evaluated through the engine, never with ``eval``. A mistake by the user prints one line on
standard error and exits with status 2; an internal failure exits with status 1; there is
never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .. import __version__
from . import commands
from .commands import PROG, EnvironmentProblem, UserError, _Parser
from .output import Style, shorten

__all__ = ["main"]

_EXPRESSION_HELP = (
    "the expression, in Python syntax: numbers, variables, + - * / **, parentheses and the "
    "functions exp log sqrt tanh sigmoid relu sin cos abs (quote it for the shell; if it "
    "starts with '-', put it after --; '-' reads it from standard input)"
)
_ASSIGNMENTS_HELP = "a value for each variable, as name=value (e.g. x=2 w=-3)"
_VARS_HELP = ('read variable values from a JSON object file, e.g. {"x": 2, "w": -3} '
              "(a regular file of at most 1 MB)")

EXAMPLES = {
    "grad": [
        ('autograd-core grad "tanh(x*w + b)" x=2 w=-3 b=6.8813735870195432',
         "value and every partial derivative"),
        ('autograd-core grad "x**3 + sin(y)" x=1.5 y=0 --second', "with second derivatives"),
        ('autograd-core grad "log(x) * y" --vars point.json --json', "machine-readable"),
        ('autograd-core grad "(a + a) * (a + a)" a=3 --paths a',
         "the gradient as a sum over the paths from a to the output"),
    ],
    "graph": [
        ('autograd-core graph "tanh(x*w + b)" x=2 w=-3 b=6.88 -o neuron.svg',
         "draw the graph as SVG"),
        ('autograd-core graph "x*y + y" x=3 y=-2 -o graph.dot --rankdir TB', "DOT, top down"),
        ('autograd-core graph "sigmoid(a*b)" a=1 b=2 --html steps.html',
         "a page that steps through the backward pass"),
        ('autograd-core graph "sigmoid(a*b)" a=1 b=2 --html fwd.html --forward --wrt b',
         "a page that steps through forward mode (tangent 1 on b)"),
    ],
    "step": [
        ('autograd-core step "tanh(x*w + b)" x=2 w=-3 b=6.88',
         "Enter: next step, a: all, q: quit"),
        ('autograd-core step "x*y + y" x=3 y=-2 | less', "not a terminal: prints every step"),
        ('autograd-core step --forward "x*y + y" x=3 y=-2 --wrt y',
         "forward mode: each node's tangent from its inputs', ending with df/dy"),
        ('autograd-core step --forward "x*y + y" x=3 y=-2 --tangent x=1 --tangent y=2',
         "forward mode along a direction: the directional derivative"),
    ],
    "demo": [
        ("autograd-core demo", "run the demo (train a small network, if nn is available)"),
        ("autograd-core demo --help", "the demo's own options"),
    ],
}

_SUMMARIES = {
    "grad": "print the value and the partial derivatives of an expression",
    "graph": "draw the computation graph (SVG, DOT, or a stepping HTML page)",
    "step": "step through the backward pass (or forward mode) in the terminal",
    "demo": "run the demo",
}


def _examples(command: str) -> str:
    lines = ["examples:"]
    for example, what in EXAMPLES[command]:
        lines.append(f"  {example}")
        lines.append(f"      {what}")
    return "\n".join(lines)


def _available_commands() -> list[str]:
    """The commands whose machinery is installed: ``graph`` needs ``viz``, ``step`` needs
    ``autograd_core.steps``."""
    available = ["grad"]
    if _viz_ready():
        available.append("graph")
    try:
        if importlib.util.find_spec("autograd_core.steps") is not None:
            available.append("step")
    except (ImportError, ValueError):
        pass
    available.append("demo")
    return available


def _viz_ready() -> bool:
    """True when ``viz`` provides what ``graph`` calls (a half-installed viz counts as no)."""
    try:
        import viz

        return all(callable(getattr(viz, name, None))
                   for name in ("draw_dot", "save_svg", "backward_page"))
    except Exception:  # viz may fail to import in many ways; graph is then just not offered
        return False


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help=_EXPRESSION_HELP)
    parser.add_argument("assignments", metavar="NAME=VALUE", nargs="*", help=_ASSIGNMENTS_HELP)
    parser.add_argument("--vars", metavar="FILE.json", help=_VARS_HELP)


def _command_parser(command: str) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{PROG} {command}",
        description=_SUMMARIES[command] + ".",
        epilog=_examples(command),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if command != "demo":
        _expression_arguments(parser)
    if command == "grad":
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
        parser.add_argument("--second", action="store_true",
                            help="also print the second derivatives (the Hessian)")
        parser.add_argument("--paths", metavar="NAME", action="append",
                            help="also list d output / d NAME as a sum over every path from "
                                 "NAME to the output (the product of the local derivatives "
                                 "along each); refused above 1000 paths; may be repeated")
    elif command == "graph":
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="write the graph to FILE.svg or FILE.dot (default: DOT on "
                                 "standard output); rendering SVG stops after "
                                 "$AUTOGRAD_CORE_RENDER_TIMEOUT seconds (default 30)")
        parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                            help="layout direction (default LR: left to right)")
        parser.add_argument("--no-grad", action="store_true",
                            help="draw values only, without running backward")
        parser.add_argument("--html", metavar="PAGE.html",
                            help="also write an HTML page that steps through the backward pass")
        _forward_arguments(parser, "the page steps through forward mode instead (with --html)")
    elif command == "step":
        parser.add_argument("--all", action="store_true",
                            help="print every step without waiting for keys")
        _forward_arguments(parser, "step through forward mode: each node's tangent from its "
                                   "inputs' tangents, inputs first")
    return parser


def _forward_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--forward", action="store_true", help=what)
    parser.add_argument("--wrt", metavar="NAME", action="append",
                        help="with --forward: seed tangent 1 on NAME (default: the first "
                             "variable); repeat for several")
    parser.add_argument("--tangent", metavar="NAME=VALUE", action="append",
                        help="with --forward: the direction, one variable's tangent each "
                             "(the others get 0), e.g. --tangent x=1 --tangent y=0")


def _top_parser(available: Sequence[str]) -> argparse.ArgumentParser:
    commands_help = "\n".join(f"  {name:<6}  {_SUMMARIES[name]}" for name in available)
    examples = "\n".join(
        f"  {EXAMPLES[name][0][0]}" for name in available
    )
    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [--version] [--help] COMMAND ...",
        description=(
            "A scalar automatic differentiation engine you can read, step through and draw.\n\n"
            f"commands:\n{commands_help}\n\n"
            f"Run '{PROG} COMMAND --help' for a command's options."
        ),
        epilog=f"examples:\n{examples}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("command", metavar="COMMAND", choices=list(available),
                        help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "grad": commands.run_grad,
    "graph": commands.run_graph,
    "step": commands.run_step,
}


def _shield_expressions(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Keep an expression that starts with '-' (``-x**2``) from being read as an option.

    argparse reads any argument with a space as a positional one, and the expression parser
    ignores leading spaces, so such an argument gets a space in front. Arguments after ``--``
    are all positional.
    """
    options = [s for action in parser._actions for s in action.option_strings]
    shielded: list[str] = []
    rest = False
    for arg in argv:
        if rest or (arg.startswith("-") and arg not in ("-", "--")
                    and not _is_option(arg, options)):
            shielded.append(" " + arg if arg.startswith("-") and arg != "-" else arg)
        elif arg == "--" and not rest:
            rest = True
        else:
            shielded.append(arg)
    return shielded


def _is_option(arg: str, options: Sequence[str]) -> bool:
    head = arg.split("=", 1)[0]
    if head in options:
        return True
    if arg.startswith("--"):  # a long option, unless it cannot be one (--x*2)
        return head[2:].replace("-", "").replace("_", "").isalnum()
    return len(arg) > 2 and arg[:2] in options  # a short option with its value attached


def _run(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "demo":
        return commands.run_demo(argv[1:])
    # grad needs nothing beyond the engine; graph and step only run when their machinery is
    # there (checked only then, so that grad starts fast)
    if command == "grad" or (command in _HANDLERS and command in _available_commands()):
        parser = _command_parser(command)
        args = parser.parse_intermixed_args(_shield_expressions(argv[1:], parser))
        return _HANDLERS[command](args)
    available = _available_commands()
    if not argv:
        _top_parser(available).print_help(sys.stderr)
        return 2
    _top_parser(available).parse_args(argv)
    return 2  # pragma: no cover - parse_args above exits or raises


def _exit_code(exc: SystemExit) -> int:
    code: Any = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    _print_error(str(code))  # SystemExit("message"), as sys.exit("...") does
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    >>> main(["grad", "x**2", "x=3"])
    x**2   at x = 3.0
    value  9.0
    d/dx   6.0
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    real = sys.stdout
    watched = _WatchedOutput(real if real is not None else _ClosedOutput())
    sys.stdout = watched  # type: ignore[assignment]
    try:
        return _main(args)
    finally:
        if sys.stdout is watched:
            sys.stdout = real


def _main(args: list[str]) -> int:
    try:
        code = _run(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or a closed stream shows up here, not at exit
        return code
    except UserError as exc:
        _report(exc.message, exc.detail)
        return 2
    except EnvironmentProblem as exc:
        _report(str(exc), "")
        return 1
    except SystemExit as exc:  # --help, --version, or a command that exits on its own
        return _exit_code(exc)
    except KeyboardInterrupt:
        _print_error("")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except OSError as exc:
        return _os_error(exc)
    except Exception as exc:  # an internal failure: one line, never a traceback
        _internal(exc)
        return 1


def _internal(exc: BaseException) -> None:
    _report(
        f"internal error: {type(exc).__name__}: {shorten(' '.join(str(exc).split()))} "
        "(please report this at the project's issue tracker)",
        "", internal=True,
    )


class _ClosedOutput(io.TextIOBase):
    """Standard output when the program started without one: writing to it is an error (the
    output would be lost), so a command that prints fails instead of exiting 0."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "it is closed")

    def isatty(self) -> bool:
        return False


class _WatchedOutput:
    """Standard output as given, noting a failed write (a full disk, a closed stream), so
    that the ``OSError`` it raised, which names no file, is reported as standard output's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.failed = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            self.failed = True
            raise

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _stdout_failed() -> bool:
    """Whether a write to standard output failed (closed, full disk...)."""
    return bool(getattr(sys.stdout, "failed", False))


def _os_error(exc: OSError) -> int:
    """An ``OSError`` that reached the top: a file or stream of the user's (exit 2, one line
    naming it) or, rarely, our own failure (exit 1)."""
    reason = shorten(" ".join((exc.strerror or str(exc)).split()), 200)
    if exc.filename is not None:
        name = shorten(os.fsdecode(exc.filename) if isinstance(exc.filename, (str, bytes))
                       else str(exc.filename), 200)
        hint = ""
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            hint = " (a file is where a folder is needed)"
        _report(f"cannot write {name}: {reason}{hint}", "")
        return 2
    if _stdout_failed():
        _silence_stdout()
        _report(f"cannot write to standard output: {reason}", "")
        return 2
    _internal(exc)
    return 1


#: The longest line an error report prints (each quote of the user's input inside it is
#: already shortened to about 200 characters; this is the last guard).
_LINE_LIMIT = 2000


def _report(message: str, detail: str, internal: bool = False) -> None:
    style = Style.for_stream(sys.stderr)
    label = "error" if not internal else "failure"
    message = shorten(" ".join(message.splitlines()), _LINE_LIMIT)
    text = f"{PROG}: {style.red(label + ':')} {message}"
    if detail:
        lines = [shorten(line, _LINE_LIMIT) for line in detail.splitlines()]
        text += "\n" + "\n".join(lines)
    _print_error(text)


def _print_error(text: str) -> None:
    """``text`` on standard error, if there is one that works (else the exit status says it)."""
    if sys.stderr is None:  # closed (2>&-): print(file=None) would write to stdout instead
        return
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def _silence_stdout() -> None:
    """After a closed pipe (``| head``), point stdout at /dev/null so exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
