"""Terminal output for the command line: colour only where it belongs, aligned numbers."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, TextIO


def wants_colour(stream: Any) -> bool:
    """True when ``stream`` is a terminal, ``NO_COLOR`` is not set and ``TERM`` is not dumb."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or odd stream
        return False


class Style:
    """ANSI styles that turn into no-ops when colour is off.

    >>> Style(False).red("error")
    'error'
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def red(self, text: str) -> str:
        return self._wrap("1;31", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        return cls(wants_colour(stream))


def number(x: float) -> str:
    """A float as Python writes it (shortest text that reads back the same number).

    >>> number(0.1), number(-2.0), number(float("inf"))
    ('0.1', '-2.0', 'inf')
    """
    return repr(float(x))


def align_numbers(texts: Sequence[str]) -> list[str]:
    """Pad number texts on the left so their decimal points (or ends) line up.

    >>> align_numbers(["0.5", "-12.25", "inf"])
    ['  0.5', '-12.25', 'inf']
    """
    def integer_width(text: str) -> int:
        for i, ch in enumerate(text):
            if ch in ".e":
                return i
        return len(text)

    widest = max((integer_width(t) for t in texts), default=0)
    return [" " * (widest - integer_width(t)) + t for t in texts]


def table(rows: Sequence[tuple[str, float]], style: Style) -> list[str]:
    """``label  number`` lines with the labels padded and the numbers aligned."""
    width = max((len(label) for label, _ in rows), default=0)
    numbers = align_numbers([number(value) for _, value in rows])
    return [
        f"{style.cyan(label.ljust(width))}  {text}"
        for (label, _), text in zip(rows, numbers, strict=True)
    ]


#: The most characters of the user's own input (an expression, a value, a file's content or
#: name) that one error line quotes; longer input is shown with its middle elided.
QUOTE_LIMIT = 200


def _escape(text: str) -> str:
    """Non-printable characters (ESC, NUL, a lone surrogate...) as Python escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` fit for an error line: control characters escaped, at most ``limit``
    characters, the middle of a longer text replaced by ``...``.

    >>> shorten("x=" + "9" * 300, 20)
    'x=9999999999...99999'
    >>> print(shorten("a\\x1bb"))
    a\\x1bb
    """
    limit = max(limit, 10)
    if len(text) <= limit and text.isprintable():
        return text
    keep = limit - 3
    head_size = keep - keep // 3  # two thirds of the room for the start, the rest for the end
    tail_size = keep - head_size
    if len(text) <= limit:
        escaped = _escape(text)
        if len(escaped) <= limit:
            return escaped
        return escaped[:head_size] + "..." + escaped[len(escaped) - tail_size :]
    # Only the two ends can be shown: escape just those (huge input stays cheap).
    head = _escape(text[:head_size])[:head_size]
    tail = _escape(text[len(text) - tail_size :])
    return head + "..." + tail[len(tail) - tail_size :]


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``repr(text)`` for an error line, shortened as :func:`shorten` does when too long.

    >>> quote("y"), quote("z" * 50, 12)
    ("'y'", "'zzzzzz...zzz'")
    """
    if len(text) <= limit:
        shown = repr(text)
        if len(shown) <= limit + 2:
            return shown
    return "'" + shorten(text, limit) + "'"


def json_number(x: float) -> float | str:
    """JSON has no inf or NaN: those become the strings ``"inf"``, ``"-inf"``, ``"nan"``."""
    return x if math.isfinite(x) else repr(x)
