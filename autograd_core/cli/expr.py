"""The command line's expression language: Python-like arithmetic, parsed safely.

The text is parsed by the standard :mod:`ast` module and then checked against a whitelist:
numbers, variable names, ``+ - * / **``, unary minus and plus, parentheses, and calls to the
engine's named ops (``exp log sqrt tanh sigmoid relu sin cos abs`` and any op made with
:func:`autograd_core.primitive`). Everything else is rejected before anything runs, and the
text is never given to ``eval`` or ``exec``: an accepted expression becomes a short list of
instructions that call the engine's ops, so the numbers follow the engine's rules (``9**9**9``
overflows to ``inf`` in a float, it never becomes a huge Python integer).

Limits keep hostile input cheap: the length of the text, how deeply it nests (checked on the
raw text, before the parser could run out of stack), the number of syntax-tree nodes, and the
size of constant exponents. A ``--vars`` file must be a regular file of at most
:data:`MAX_VARS_FILE` bytes (a FIFO or a device is refused without reading from it), and an
error message quotes at most about 200 characters of any input (see
:func:`autograd_core.cli.output.shorten`).

>>> from autograd_core import Value
>>> f = parse("tanh(x*w + b)")
>>> f.variables
('x', 'w', 'b')
>>> y = f.evaluate({"x": Value(2.0), "w": Value(-3.0), "b": Value(6.8813735870195432)})
>>> round(y.data, 4)
0.7071
>>> parse("x.real")
Traceback (most recent call last):
...
autograd_core.cli.expr.ExprError: attribute access (.real): not allowed in an expression (column 2)
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import os
import re
import stat
import sys
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ops as _ops
from ..primitives import Op, registered_ops
from ..value import Value
from .output import quote, shorten

#: The longest expression accepted, in characters.
MAX_LENGTH = 10_000
#: How deeply an expression may nest (an upper bound on its syntax tree's depth).
MAX_DEPTH = 200
#: The largest number of syntax-tree nodes in one expression.
MAX_NODES = 2_000
#: The largest magnitude of an exponent that does not depend on any variable.
MAX_EXPONENT = 10_000.0
#: The largest ``--vars`` JSON file read, in bytes (only regular files are read).
MAX_VARS_FILE = 1_000_000

_OPEN = "([{"
_CLOSE = ")]}"
# Characters that can each start an operator; every operator node in the tree owns at least
# one, so counting them bounds the depth of the tree from above.
_OPERATOR_CHARS = frozenset("+-*/%@&|^~<>=!:")


class ExprError(ValueError):
    """A mistake in an expression or in the values given for its variables.

    ``str(error)`` is one line. ``column`` (0-based) points into ``text`` when the mistake has
    a place; ``caret()`` then draws the text with a caret under that place.
    """

    def __init__(
        self, message: str, *, text: str | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.column = column

    def caret(self) -> str:
        """The expression and a caret under the mistake (two lines), or ``""``."""
        if self.text is None or self.column is None:
            return ""
        line = self.text
        column = min(max(self.column, 0), len(line))
        # Long expressions: show a window of the line around the mistake.
        width = 76
        start = 0
        if len(line) > width:
            start = max(0, min(column - width // 2, len(line) - width))
            line = line[start : start + width]
        return f"  {line}\n  {' ' * (column - start)}^"


# --------------------------------------------------------------------------- functions
def functions() -> dict[str, Op]:
    """The functions an expression may call: every registered op named like an identifier."""
    return {
        name: op
        for name, op in registered_ops().items()
        if name.isidentifier() and not keyword.iskeyword(name)
    }


def _function_list() -> str:
    return ", ".join(sorted(functions()))


# --------------------------------------------------------------------------- the program
@dataclass(frozen=True)
class _Step:
    kind: str  # "const", "var", "neg", "pos", "bin", "call"
    arg: Any  # the number, the variable name, the operator symbol or the Op
    count: int  # number of call arguments
    column: int
    source: str  # the text of this subexpression, for error messages


@dataclass(frozen=True)
class Expression:
    """A checked expression, ready to evaluate on Values or floats.

    ``variables`` are the names it uses, in order of first appearance.
    """

    text: str
    variables: tuple[str, ...]
    steps: tuple[_Step, ...]

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The expression's value with each variable bound to a Value (or a float).

        Constant parts are computed on floats; anything that touches a Value records nodes
        through the engine's ops. Returns a Value if any variable is a Value, else a float.
        Raises :class:`ExprError` for a missing variable, a domain error (``log(-1)``) or a
        constant exponent larger than :data:`MAX_EXPONENT`.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            name = missing[0]
            raise ExprError(
                f"undefined variable {quote(name)}; give it a value: {shorten(name, 60)}=1.5"
            )
        stack: list[Any] = []
        constant: list[bool] = []  # parallel to stack: True when no variable went into it
        for step in self.steps:
            kind = step.kind
            try:
                if kind == "const":
                    stack.append(step.arg)
                    constant.append(True)
                elif kind == "var":
                    stack.append(values[step.arg])
                    constant.append(False)
                elif kind == "neg":
                    stack[-1] = _ops.neg(stack[-1])
                elif kind == "pos":
                    pass
                elif kind == "bin":
                    b = stack.pop()
                    b_constant = constant.pop()
                    a = stack[-1]
                    stack[-1] = _binary(step.arg, a, b, b_constant)
                    constant[-1] = constant[-1] and b_constant
                else:  # call
                    n = step.count
                    args = stack[len(stack) - n :]
                    del stack[len(stack) - n :]
                    result_constant = all(constant[len(constant) - n :])
                    del constant[len(constant) - n :]
                    op: Op = step.arg
                    stack.append(op(args) if op.arity is None else op(*args))
                    constant.append(result_constant)
            except ExprError as exc:
                raise ExprError(
                    f"{exc.message} (in {step.source} at column {step.column + 1})",
                    text=self.text, column=step.column,
                ) from None
            except (ValueError, ArithmeticError) as exc:
                raise ExprError(
                    f"{shorten(str(exc))} (in {step.source} at column {step.column + 1})",
                    text=self.text, column=step.column,
                ) from None
        return stack[0]


def _show(x: float) -> str:
    """A number as people write it: ``387420489`` rather than ``387420489.0``."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _binary(symbol: str, a: Any, b: Any, b_constant: bool) -> Any:
    if symbol == "+":
        return _ops.add(a, b)
    if symbol == "-":
        return _ops.sub(a, b)
    if symbol == "*":
        return _ops.mul(a, b)
    if symbol == "/":
        return _ops.div(a, b)
    # ``**``: a constant exponent has a size limit; a Value base with a constant exponent
    # becomes one ``x**k`` node (as the ``**`` operator makes it), everything else the
    # two-input power op. Floats never go through Python's own ``**`` here.
    if b_constant and not isinstance(b, Value):
        if not abs(b) <= MAX_EXPONENT:
            raise ExprError(
                f"the exponent {_show(b)} is too large: a constant exponent must lie within "
                f"+-{_show(MAX_EXPONENT)}"
            )
        if isinstance(a, Value):
            return _ops.power_by(float(b))(a)
    return _ops.power(a, b)


# --------------------------------------------------------------------------- checking
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BAD_BINOPS = {
    ast.FloorDiv: "the operator // (use /)",
    ast.Mod: "the operator %",
    ast.MatMult: "the operator @",
    ast.LShift: "the operator <<",
    ast.RShift: "the operator >>",
    ast.BitOr: "the operator |",
    ast.BitAnd: "the operator &",
    ast.BitXor: "the operator ^ (for a power use **)",
}
_BAD_NODES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts (x[i])",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "strings",
    ast.FormattedValue: "strings",
    ast.NamedExpr: "the walrus operator :=",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "conditional expressions (a if c else b)",
    ast.Tuple: "tuples (a comma outside a function call)",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


def _byte_to_char(line: str, byte_offset: int) -> int:
    """ast gives UTF-8 byte offsets; turn one into a character index."""
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


_TOKEN = re.compile(r"[^\W\d]\w*|.", re.DOTALL)


def _depth_bound(text: str) -> tuple[int, int]:
    """An upper bound on the syntax tree's depth, read from the raw text, and where it peaks.

    Each open bracket adds one level; each operator character (and each keyword such as
    ``not``) adds one at its level. Along any path of the tree every operator node owns its
    own operator and every call its own bracket level, so the tree is no deeper than this
    bound plus a constant. A comma ends one argument (one subtree) of the group it is in: the
    group is as deep as its deepest argument, so the count starts again after it
    (``sum(x0*x0, x1*x1, ...)`` is 3 deep, however many arguments). Where a string literal
    could hide a comma, commas count as nothing. The scan stops as soon as the bound passes
    :data:`MAX_DEPTH`.
    """
    commas_split = "'" not in text and '"' not in text
    counts = [0]  # operators seen so far in the current argument at each open bracket level
    deepest = [0]  # the largest bound among the closed groups in that argument
    done = [0]  # the largest bound of the arguments already ended by a comma at each level
    running = 0  # sum(counts) + number of open brackets
    worst = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in _OPEN:
            counts.append(0)
            deepest.append(0)
            done.append(0)
            running += 1
        elif token in _CLOSE:
            if len(counts) > 1:
                closed = counts.pop()
                inner = max(done.pop(), closed + deepest.pop())
                running -= closed + 1
                deepest[-1] = max(deepest[-1], inner + 1)
        elif token == "," and commas_split:
            done[-1] = max(done[-1], counts[-1] + deepest[-1])
            running -= counts[-1]
            counts[-1] = 0
            deepest[-1] = 0
            continue
        elif token in _OPERATOR_CHARS or keyword.iskeyword(token):
            counts[-1] += 1
            running += 1
        else:
            continue
        bound = running + deepest[-1]
        if bound > worst:
            worst = bound
            if worst > MAX_DEPTH:
                return worst, match.start()
    return worst, len(text)


def _normalise(text: str) -> str:
    """One line: every whitespace character becomes a space (so columns stay put)."""
    return "".join(" " if ch.isspace() else ch for ch in text)


def parse(text: str) -> Expression:
    """Check ``text`` against the expression language and compile it.

    Raises :class:`ExprError` with a one-line message (and a column where there is one) for
    anything outside the language or beyond the limits.

    >>> parse("2 * x**2 + sin(y)").variables
    ('x', 'y')
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"the expression is too long: {len(text)} characters, the limit is {MAX_LENGTH}"
        )
    text = _normalise(text)
    if not text.strip():
        raise ExprError("the expression is empty; for example: 'x**2 + 1' x=3")
    for i, ch in enumerate(text):
        if not ch.isprintable():
            raise ExprError(
                f"the expression contains the control character {ch!r} at column {i + 1}",
                text=text, column=i,
            )
    bound, where = _depth_bound(text)
    if bound > MAX_DEPTH:
        raise ExprError(
            f"the expression nests too deeply (more than {MAX_DEPTH} levels of brackets and "
            f"operators), at column {where + 1}; split it into smaller expressions",
        )
    lead = len(text) - len(text.lstrip(" "))
    body = text[lead:]
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and such: errors decide
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        long_number = _long_integer(text)
        if long_number is not None and "digits" in (exc.msg or ""):
            # Python's own message here tells the user to call sys.set_int_max_str_digits()
            start, digits = long_number
            raise ExprError(
                f"syntax error at column {start + 1}: the number "
                f"{shorten(text[start:start + digits], 40)} has more than "
                f"{sys.get_int_max_str_digits()} digits, far too large for a float",
                text=text, column=start,
            ) from None
        message = shorten(exc.msg or "invalid syntax")
        if exc.offset is not None and (exc.lineno or 1) == 1:
            column = lead + max(exc.offset, 1) - 1
            raise ExprError(
                f"syntax error at column {column + 1}: {message}", text=text, column=column
            ) from None
        raise ExprError(f"syntax error: {message}", text=text, column=len(text)) from None
    except (RecursionError, MemoryError, OverflowError, ValueError) as exc:
        raise ExprError(f"the expression is too complex to parse ({type(exc).__name__})") from None
    return _compile(tree, text, lead)


_INTEGER = re.compile(r"(?<![\w.])\d[\d_]*(?![\w.])")


def _long_integer(text: str) -> tuple[int, int] | None:
    """Where the first integer literal longer than Python converts starts, and its length."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if not limit:
        return None
    for match in _INTEGER.finditer(text):
        literal = match.group()
        if len(literal) - literal.count("_") > limit:
            return match.start(), len(literal)
    return None


def _compile(tree: ast.Expression, text: str, lead: int) -> Expression:
    body = text[lead:]
    available = functions()
    called: set[int] = set()  # ids of Name nodes that are the function of a call
    names_in_order: dict[str, None] = {}
    count = 0
    steps: list[_Step] = []

    def column_of(node: ast.AST) -> int:
        """Where ``node`` starts; for an operator node, where its operator is."""
        first = second = None
        if isinstance(node, ast.BinOp):
            first, second = node.left, node.right
        elif isinstance(node, ast.Compare):
            first, second = node.left, node.comparators[0]
        elif isinstance(node, ast.BoolOp):
            first, second = node.values[0], node.values[1]
        elif isinstance(node, ast.IfExp):
            first, second = node.body, node.test
        elif isinstance(node, ast.Attribute):  # the dot, not the object
            first, second = node.value, node
        if first is not None and second is not None:
            start = _byte_to_char(body, first.end_col_offset or 0)
            stop = max(start, _byte_to_char(body, second.col_offset))
            if second is node:
                stop = len(body)
            for i in range(start, stop):
                if body[i] not in " )":
                    return lead + i
        return lead + _byte_to_char(body, getattr(node, "col_offset", 0))

    def source_of(node: ast.AST) -> str:
        start = lead + _byte_to_char(body, getattr(node, "col_offset", 0))
        end_offset = getattr(node, "end_col_offset", None)
        end = lead + _byte_to_char(body, end_offset) if end_offset is not None else start + 1
        segment = text[start:end]
        return segment if len(segment) <= 40 else segment[:37] + "..."

    def reject(what: str, node: ast.AST, hint: str = "") -> ExprError:
        column = column_of(node)
        return ExprError(
            f"{what}: not allowed in an expression (column {column + 1}){hint}",
            text=text, column=column,
        )

    # Post-order with an explicit stack: (node, depth, expanded).
    stack: list[tuple[ast.AST, int, bool]] = [(tree.body, 1, False)]
    while stack:
        node, depth, expanded = stack.pop()
        if expanded:
            steps.append(_emit(node, column_of(node), source_of(node), available))
            continue
        count += 1
        if count > MAX_NODES:
            raise ExprError(
                f"the expression has too many parts (more than {MAX_NODES} syntax nodes); "
                "split it into smaller expressions"
            )
        if depth > MAX_DEPTH:
            raise ExprError(f"the expression nests too deeply (more than {MAX_DEPTH} levels)")
        children: Sequence[ast.AST]
        if isinstance(node, ast.Constant):
            _check_constant(node, reject, source_of)
            children = ()
        elif isinstance(node, ast.Name):
            if node.id in available and id(node) not in called:
                raise ExprError(
                    f"{quote(node.id)} is a function: call it, as in {shorten(node.id, 60)}(x) "
                    f"(at column {column_of(node) + 1})",
                    text=text, column=column_of(node),
                )
            if id(node) not in called:
                names_in_order.setdefault(node.id, None)
            children = ()
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise reject(_BAD_BINOPS.get(type(node.op), "this operator"), node)
            children = (node.left, node.right)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                raise reject("'not'", node)
            if isinstance(node.op, ast.Invert):
                raise reject("the operator ~", node)
            children = (node.operand,)
        elif isinstance(node, ast.Call):
            _check_call(node, available, reject, text, column_of)
            called.add(id(node.func))
            children = tuple(node.args)
        else:
            what = _BAD_NODES.get(type(node), f"this construct ({type(node).__name__})")
            if isinstance(node, ast.Attribute):
                what = f"attribute access (.{node.attr})"
            raise reject(what, node)
        stack.append((node, depth, True))
        for child in reversed(children):
            stack.append((child, depth + 1, False))
    return Expression(text=text, variables=tuple(names_in_order), steps=tuple(steps))


def _check_constant(node: ast.Constant, reject: Any, source_of: Any) -> None:
    value = node.value
    if isinstance(value, bool):
        raise reject("True and False", node, "; use 1 and 0")
    if isinstance(value, (str, bytes)):
        raise reject("strings", node)
    if isinstance(value, complex):
        raise reject("complex numbers", node)
    if value is None:
        raise reject("None", node)
    if value is Ellipsis:
        raise reject("...", node)
    if not isinstance(value, (int, float)):  # pragma: no cover - ast makes no other constants
        raise reject(f"the constant {value!r}", node)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise reject(f"the number {source_of(node)}", node, "; it is too large for a float")


def _check_call(node: ast.Call, available: Mapping[str, Op], reject: Any, text: str,
                column_of: Any) -> None:
    func = node.func
    if not isinstance(func, ast.Name):
        if isinstance(func, ast.Attribute):
            raise reject(f"attribute access (.{func.attr})", func)
        raise reject("calling anything but a named function", node)
    if node.keywords:
        raise reject(f"keyword arguments in {shorten(func.id, 60)}()", node)
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise reject("* unpacking", arg)
    op = available.get(func.id)
    if op is None:
        raise ExprError(
            f"unknown function {quote(func.id, 60)} at column {column_of(func) + 1}; "
            f"the functions are: {_function_list()}",
            text=text, column=column_of(func),
        )
    n = len(node.args)
    if op.arity is None:
        if n == 0:
            raise ExprError(
                f"{func.id}() needs at least one argument (at column {column_of(func) + 1})",
                text=text, column=column_of(func),
            )
    elif n != op.arity:
        plural = "argument" if op.arity == 1 else "arguments"
        raise ExprError(
            f"{func.id}() takes {op.arity} {plural}, got {n} (at column {column_of(func) + 1})",
            text=text, column=column_of(func),
        )


def _emit(node: ast.AST, column: int, source: str, available: Mapping[str, Op]) -> _Step:
    if isinstance(node, ast.Constant):
        return _Step("const", float(node.value), 0, column, source)
    if isinstance(node, ast.Name):
        return _Step("var", node.id, 0, column, source)
    if isinstance(node, ast.UnaryOp):
        return _Step("neg" if isinstance(node.op, ast.USub) else "pos", None, 0, column, source)
    if isinstance(node, ast.BinOp):
        return _Step("bin", _BINOPS[type(node.op)], 0, column, source)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return _Step("call", available[node.func.id], len(node.args), column, source)


# --------------------------------------------------------------------------- variables
def check_name(name: str, where: str) -> str:
    """A variable name, NFKC-normalised as Python's parser does; ``ExprError`` if unusable.

    ``where`` starts the error message (the caller keeps it short).
    """
    normal = unicodedata.normalize("NFKC", name)
    if not normal.isidentifier():
        raise ExprError(
            f"{where}: {quote(name, 100)} is not a valid variable name (use letters, digits "
            "and _, not starting with a digit)"
        )
    if keyword.iskeyword(normal):
        raise ExprError(f"{where}: {name!r} is a Python keyword, not usable as a variable name")
    if normal in functions():
        raise ExprError(f"{where}: {name!r} is a function name, not usable as a variable name")
    return normal


def _check_number(value: float, where: str) -> float:
    if not math.isfinite(value):
        raise ExprError(f"{where}: the value must be a finite number, got {value!r}")
    return value


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``, in order; ``ExprError`` if malformed.

    >>> parse_assignments(["x=2", "w=-3.5"])
    {'x': 2.0, 'w': -3.5}
    """
    values: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep:
            raise ExprError(
                f"expected NAME=VALUE, got {quote(item.lstrip())} (write x=2, with no spaces "
                "around =)"
            )
        where = shorten(item, 60)
        name = check_name(name.strip(), where)
        try:
            number = float(raw)
        except ValueError:
            raise ExprError(
                f"{where}: {quote(raw.strip(), 120)} is not a number (for example 2, -0.5 or "
                "1e-3)"
            ) from None
        if name in values:
            raise ExprError(f"{where}: the variable {quote(name, 100)} is given twice")
        values[name] = _check_number(number, where)
    return values


_FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int, where: str) -> ExprError | None:
    """The error for a path that is not a regular file (a directory, FIFO, device...)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return ExprError(f"{where}: is a directory, not a JSON file")
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    return ExprError(f"{where}: is {kind}, not a regular file; give the path of a JSON file")


def read_small_file(path: str, limit: int, where: str) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    A FIFO, a device, a socket or a directory is refused without reading from it (a FIFO is
    opened without waiting for a writer, and checked on the opened descriptor, so a file
    swapped in between is caught too); so is a file larger than ``limit``. Every failure is
    an :class:`ExprError` starting with ``where``.
    """
    try:
        problem = _not_regular(os.stat(path).st_mode, where)  # before opening a device at all
        if problem is not None:
            raise problem
        flags = os.O_RDONLY
        for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
            flags |= getattr(os, name, 0)
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            problem = _not_regular(info.st_mode, where)
            if problem is not None:
                raise problem
            if info.st_size > limit:
                raise ExprError(
                    f"{where}: the file is too large ({info.st_size} bytes, limit {limit})"
                )
            chunks: list[bytes] = []
            left = limit + 1  # one byte more than allowed tells a file that grew
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 16))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
    except ExprError:
        raise
    except FileNotFoundError:
        raise ExprError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise ExprError(f"{where}: is a directory, not a JSON file") from None
    except PermissionError:
        raise ExprError(f"{where}: permission denied") from None
    except OSError as exc:
        raise ExprError(f"{where}: cannot read the file ({exc.strerror or exc})") from None
    except ValueError:  # a NUL character in the path
        raise ExprError(f"{where}: not a usable file name") from None
    data = b"".join(chunks)
    if len(data) > limit:
        raise ExprError(f"{where}: the file is too large (more than {limit} bytes)")
    return data


def _json_kind(value: Any) -> str:
    """A short description of a JSON value that is not a number."""
    if isinstance(value, str):
        return f"the string {quote(value, 40)}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "an array" if isinstance(value, list) else "an object"


def load_vars_file(path: str) -> dict[str, float]:
    """Variables from a JSON object file such as ``{"x": 2, "w": -3}``; ``ExprError`` if bad.

    The file must be a regular file of at most :data:`MAX_VARS_FILE` bytes (see
    :func:`read_small_file`).
    """
    where = f"--vars {shorten(os.fspath(path), 100)}"
    data = read_small_file(path, MAX_VARS_FILE, where)
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ExprError(f"{where}: the file is not UTF-8 text") from None

    def no_constants(name: str) -> float:
        raise ExprError(f"{where}: {name} is not a finite number")

    try:
        # parse_int=float: an integer of any length becomes a float (a huge one inf, refused
        # below) instead of meeting Python's limit on converting long digit strings
        parsed = json.loads(raw, parse_constant=no_constants, parse_int=float)
    except ExprError:
        raise
    except json.JSONDecodeError as exc:
        raise ExprError(
            f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (RecursionError, ValueError):
        raise ExprError(f"{where}: not valid JSON (nested too deeply)") from None
    if not isinstance(parsed, dict):
        raise ExprError(
            f'{where}: expected a JSON object of numbers such as {{"x": 2, "w": -3}}, '
            f"got a JSON {type(parsed).__name__}"
        )
    values: dict[str, float] = {}
    for name, value in parsed.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExprError(
                f"{where}: the value of {quote(name, 60)} must be a number, got "
                f"{_json_kind(value)}"
            )
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        values[check_name(name, where)] = _check_number(number, f"{where}: {shorten(name, 60)}")
    return values


def bind(expression: Expression, values: Mapping[str, float]) -> dict[str, float]:
    """The values of the expression's variables, in its order; ``ExprError`` if one is
    missing or a value is given for a name the expression does not use."""
    used = set(expression.variables)
    for name in expression.variables:
        if name not in values:
            raise ExprError(
                f"undefined variable {quote(name)}; give it a value, for example "
                f"{shorten(name, 60)}=1.5"
            )
    unused = [name for name in values if name not in used]
    if unused:
        listed = ", ".join(quote(n, 40) for n in unused[:5])
        if len(unused) > 5:
            listed += f" and {len(unused) - 5} more"
        if len(unused) == 1:
            raise ExprError(f"unused variable {listed}: the expression does not mention it")
        raise ExprError(f"unused variables {listed}: the expression does not mention them")
    return {name: values[name] for name in expression.variables}
