"""The command line's expression language: what it accepts, what it rejects, its limits."""

from __future__ import annotations

import json
import math
import re
import warnings

import pytest

from autograd_core import DomainError, Value, primitive
from autograd_core.cli import expr
from autograd_core.cli.expr import ExprError, bind, load_vars_file, parse, parse_assignments


def evaluate(text: str, **values: float) -> float:
    e = parse(text)
    out = e.evaluate({name: Value(v, label=name) for name, v in values.items()})
    return out.data if isinstance(out, Value) else out


# --------------------------------------------------------------------------- accepted
@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("1 + 2 * 3", {}, 7.0),
        ("2 ** 3 ** 2", {}, 512.0),  # right-associative, as in Python
        ("-2 ** 2", {}, -4.0),  # unary minus binds looser than **
        ("+x - -y", {"x": 1.5, "y": 2.0}, 3.5),
        ("x / y", {"x": 1.0, "y": 4.0}, 0.25),
        ("((x))", {"x": 3.0}, 3.0),
        ("exp(log(x))", {"x": 2.5}, math.exp(math.log(2.5))),
        ("sqrt(x) + abs(y)", {"x": 9.0, "y": -2.0}, 5.0),
        ("tanh(x) + sigmoid(x) + relu(-x)", {"x": 0.5}, math.tanh(0.5) + 1 / (1 + math.exp(-0.5))),
        ("sin(x)**2 + cos(x)**2", {"x": 0.7}, math.sin(0.7) ** 2 + math.cos(0.7) ** 2),
        ("sum(x, y, 1)", {"x": 1.0, "y": 2.0}, 4.0),
        ("1e-3 * x + 0x10 + 1_000", {"x": 1000.0}, 1.0 + 16 + 1000),
        ("x # a comment", {"x": 2.0}, 2.0),
        ("  x\t*\n2  ", {"x": 2.0}, 4.0),
        ("2 ** x", {"x": 3.0}, 8.0),
        ("x ** y", {"x": 2.0, "y": 0.5}, math.sqrt(2.0)),
    ],
)
def test_accepted_expressions_compute_like_python(text, values, expected):
    assert math.isclose(evaluate(text, **values), expected, rel_tol=1e-12)


def test_variables_in_order_of_first_appearance_and_once_each():
    assert parse("b * a + a * c - b").variables == ("b", "a", "c")
    assert parse("2 + 3").variables == ()


def test_a_variable_used_twice_is_one_leaf_so_gradients_add_up():
    x = Value(3.0, label="x")
    y = parse("x * x + x").evaluate({"x": x})
    y.backward()
    assert x.grad == 2 * 3.0 + 1


def test_constant_expression_evaluates_to_a_float():
    assert parse("2 ** 10 - 24").evaluate({}) == 1000.0


def test_names_are_normalised_like_pythons_parser():
    # Python's parser NFKC-normalises identifiers; so do NAME=VALUE names.
    e = parse("\ufb01 + 1")  # the 'fi' ligature
    assert e.variables == ("fi",)
    assert parse_assignments(["\ufb01=2"]) == {"fi": 2.0}


def test_custom_registered_ops_are_callable():
    primitive("cli_test_square", lambda x: x * x, lambda x, out: 2 * x)
    x = Value(3.0)
    y = parse("cli_test_square(x) + 1").evaluate({"x": x})
    y.backward()
    assert (y.data, x.grad) == (10.0, 6.0)


def test_constant_exponent_of_a_value_makes_one_power_node():
    x = Value(2.0, label="x")
    y = parse("x ** 3").evaluate({"x": x})
    assert y.parents == (x,)  # x**k, as the ** operator records it
    assert y.data == 8.0


# --------------------------------------------------------------------------- rejected
REJECTED = [
    ("x.real", "attribute access", 2),
    ("(x).imag", "attribute access", 4),
    ("x[0]", "subscripts", 1),
    ("x[1:2]", "subscripts", 1),
    ("exp(x).real", "attribute access", 7),
    ("__import__('os')", "unknown function '__import__'", 1),
    ("exp('os')", "strings", 5),
    ("open(x)", "unknown function 'open'", 1),
    ("eval(x)", "unknown function 'eval'", 1),
    ("x(2)", "unknown function 'x'", 1),
    ("(x)(2)", "unknown function 'x'", 2),
    ("exp(x)(2)", "calling anything but a named function", 1),
    ("x.exp()", "attribute access", 2),
    ("exp(x=1)", "keyword arguments", 1),
    ("exp(**x)", "keyword arguments", 1),
    ("exp(*x)", "* unpacking", 5),
    ("lambda: 1", "lambda", 1),
    ("[i for i in x]", "comprehensions", 1),
    ("{i for i in x}", "comprehensions", 1),
    ("{i: 1 for i in x}", "comprehensions", 1),
    ("sum(i for i in x)", "comprehensions", 4),
    ("'abc'", "strings", 1),
    ("b'abc'", "strings", 1),
    ("f'{x}'", "strings", 1),
    ("(y := 2)", "walrus", 2),
    ("x if y else z", "conditional expressions", 3),
    ("x < y", "comparisons", 3),
    ("x == y", "comparisons", 3),
    ("x and y", "'and' / 'or'", 3),
    ("x or y", "'and' / 'or'", 3),
    ("not x", "'not'", 1),
    ("~x", "the operator ~", 1),
    ("x // y", "the operator //", 3),
    ("x % y", "the operator %", 3),
    ("x @ y", "the operator @", 3),
    ("x << y", "the operator <<", 3),
    ("x >> y", "the operator >>", 3),
    ("x | y", "the operator |", 3),
    ("x & y", "the operator &", 3),
    ("x ^ 2", "the operator ^", 3),
    ("(x, y)", "tuples", 1),
    ("[x]", "lists", 1),
    ("{x}", "sets", 1),
    ("{x: y}", "dicts", 1),
    ("True", "True and False", 1),
    ("None", "None", 1),
    ("...", "...", 1),
    ("1j", "complex numbers", 1),
    ("await x", "await", 1),
    ("exp", "'exp' is a function", 1),
    ("exp(x, y)", "exp() takes 1 argument, got 2", 1),
    ("exp()", "exp() takes 1 argument, got 0", 1),
    ("sum()", "sum() needs at least one argument", 1),
    ("1e400", "the number 1e400", 1),
]


@pytest.mark.parametrize(("text", "fragment", "column"), REJECTED)
def test_rejected_constructs_name_the_construct_and_its_column(text, fragment, column):
    with pytest.raises(ExprError) as info:
        parse(text)
    err = info.value
    assert fragment in str(err)
    assert "\n" not in str(err)
    assert err.column == column - 1
    assert f"column {column}" in str(err)


@pytest.mark.parametrize(
    "text", ["x +", "x +* y", "(x", "x)", "x y", "2x", "x = 1", "x; y", "import os", "$x",
             "x\\", "def f(): pass", "yield x", "1" * 5000]
)
def test_syntax_errors_have_a_caret_under_the_position(text):
    with pytest.raises(ExprError) as info:
        parse(text)
    err = info.value
    assert str(err).startswith("syntax error")
    _, caret = err.caret().split("\n")
    assert caret.strip() == "^"
    assert 0 <= err.column <= len(text)


def test_syntax_error_column_counts_characters_not_bytes():
    with pytest.raises(ExprError) as info:
        parse("é + * y")
    assert info.value.column == 4
    shown, caret = info.value.caret().split("\n")
    assert shown[caret.index("^")] == "*"


def test_the_unknown_function_message_lists_the_functions():
    with pytest.raises(ExprError, match=r"the functions are: .*exp.*tanh"):
        parse("softmax(x)")


def test_control_characters_are_rejected():
    with pytest.raises(ExprError, match="control character"):
        parse("x\x00 + 1")
    with pytest.raises(ExprError, match="control character"):
        parse("x + \x1b[31m")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_expression_is_an_error(text):
    with pytest.raises(ExprError, match="empty"):
        parse(text)


def test_a_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="must be a str"):
        parse(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- limits
def test_input_length_is_limited():
    parse("x+" * 10 + "1" + " " * (expr.MAX_LENGTH - 21))  # exactly at the limit: fine
    with pytest.raises(ExprError, match="too long"):
        parse("x" * (expr.MAX_LENGTH + 1))


def test_a_hundred_thousand_nested_parentheses_give_a_clear_error():
    with pytest.raises(ExprError, match="too long"):
        parse("(" * 100_000 + "x" + ")" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 4000 + "x" + ")" * 4000,  # within the length limit, too deep
        "(" * 4999,  # unbalanced, too
        "[" * 3000 + "x",
        "-" * 9000 + "x",  # unary chains nest as deeply as brackets
        "x**" * 3000 + "2",
        "x+" * 4000 + "x",  # a left-leaning chain is a deep tree as well
        "not " * 2000 + "x",
        "f(" * 3000,
    ],
)
def test_deep_nesting_is_refused_before_parsing(text, monkeypatch):
    def no_parse(*args, **kwargs):  # the raw-text check must come first
        raise AssertionError("ast.parse was called on a too-deep expression")

    monkeypatch.setattr(expr.ast, "parse", no_parse)
    with pytest.raises(ExprError, match="nests too deeply"):
        parse(text)


def test_nesting_just_under_the_limit_is_fine():
    depth = expr.MAX_DEPTH // 2 - 2
    text = "(" * depth + "x+1" + ")" * depth
    assert parse(text).evaluate({"x": 1.0}) == 2.0


def test_the_depth_bound_is_per_branch_not_per_expression():
    # 150 separate groups of one operator each: shallow, though long.
    text = " * ".join(f"(x{i} + 1)" for i in range(150))
    assert len(parse(text).variables) == 150
    many_arguments = "sum(" + ", ".join(f"x{i}" for i in range(500)) + ")"
    assert len(parse(many_arguments).variables) == 500


def test_parser_failures_on_deep_input_are_caught(monkeypatch):
    # Should ast.parse itself fail on deep input, that is a clean error too.
    for failure in (RecursionError, MemoryError):
        def boom(*args, failure=failure, **kwargs):
            raise failure()

        monkeypatch.setattr(expr.ast, "parse", boom)
        with pytest.raises(ExprError, match="too complex"):
            parse("x + 1")


def test_node_count_is_limited():
    text = " + ".join(f"sum({', '.join(['x'] * 40)})" for i in range(60))  # ~2500 nodes
    assert len(text) < expr.MAX_LENGTH
    with pytest.raises(ExprError, match="too many parts"):
        parse(text)


@pytest.mark.parametrize("text", ["9**9**9", "x**9**9**9", "2**2**2**2**2", "x ** 1e5",
                                  "0.5 ** (2**20)", "x ** -20000"])
def test_huge_constant_exponents_are_refused_at_once(text):
    e = parse(text)
    with pytest.raises(ExprError, match=r"exponent .* too large"):
        e.evaluate({"x": Value(1.5)})


def test_exponents_that_depend_on_variables_use_float_arithmetic():
    # No limit applies (the value is a float power, never a huge integer): 9.0**1e9 -> inf.
    e = parse("9 ** y")
    assert e.evaluate({"y": Value(1e9)}).data == math.inf


def test_huge_integer_literals_never_become_huge_python_numbers():
    with pytest.raises(ExprError, match="too large for a float"):
        parse("1" * 400)


# --------------------------------------------------------------------------- evaluation errors
@pytest.mark.parametrize(
    ("text", "value", "fragment"),
    [
        ("log(x)", -1.0, "log(x) needs x > 0"),
        ("sqrt(x)", -4.0, "sqrt(x) needs x >= 0"),
        ("1 / x", 0.0, "division by zero"),
        ("x ** -1", 0.0, "zero to a negative power"),
        ("x ** 0.5", -8.0, "non-integer power"),
        ("log(x - 1)", 1.0, "log(x) needs x > 0"),
    ],
)
def test_domain_errors_become_expression_errors_with_a_place(text, value, fragment):
    e = parse(text)
    with pytest.raises(ExprError, match=re.escape(fragment)) as info:
        e.evaluate({"x": Value(value)})
    assert "column" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, DomainError)


def test_domain_error_in_a_constant_part():
    with pytest.raises(ExprError, match="log"):
        parse("x + log(0)").evaluate({"x": Value(1.0)})


def test_evaluate_reports_a_missing_variable():
    with pytest.raises(ExprError, match="undefined variable 'y'"):
        parse("x + y").evaluate({"x": 1.0})


# --------------------------------------------------------------------------- variables
def test_assignments_parse_numbers_in_order():
    assert parse_assignments(["x=2", "w=-3", "b=1e-3", "z=.5"]) == {
        "x": 2.0, "w": -3.0, "b": 1e-3, "z": 0.5,
    }


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("x=abc", "'abc' is not a number"),
        ("x=", "'' is not a number"),
        ("x", "expected NAME=VALUE"),
        ("=2", "not a valid variable name"),
        ("2x=1", "not a valid variable name"),
        ("x-y=1", "not a valid variable name"),
        ("lambda=1", "Python keyword"),
        ("tanh=1", "function name"),
        ("x=inf", "finite"),
        ("x=nan", "finite"),
        ("x=1e999", "finite"),
        ("x=0x10", "not a number"),
    ],
)
def test_bad_assignments_are_clear_errors(item, fragment):
    with pytest.raises(ExprError, match=fragment):
        parse_assignments([item])


def test_a_variable_given_twice_is_an_error():
    with pytest.raises(ExprError, match="given twice"):
        parse_assignments(["x=1", "x=2"])


def test_bind_orders_by_the_expression_and_checks_both_ways():
    e = parse("y * x")
    assert list(bind(e, {"x": 1.0, "y": 2.0})) == ["y", "x"]
    with pytest.raises(ExprError, match="undefined variable 'y'; give it a value"):
        bind(e, {"x": 1.0})
    with pytest.raises(ExprError, match="unused variable 'z'"):
        bind(e, {"x": 1.0, "y": 2.0, "z": 3.0})
    with pytest.raises(ExprError, match="unused variables 'z', 'w'"):
        bind(e, {"x": 1.0, "y": 2.0, "z": 3.0, "w": 0.0})


def test_vars_file_reads_a_json_object(tmp_path):
    path = tmp_path / "vars.json"
    path.write_text(json.dumps({"x": 2, "w": -3.5}), encoding="utf-8")
    assert load_vars_file(str(path)) == {"x": 2.0, "w": -3.5}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[1, 2]", "expected a JSON object"),
        ('{"x": "2"}', "must be a number"),
        ('{"x": true}', "must be a number"),
        ('{"x": null}', "must be a number"),
        ('{"x": NaN}', "not a finite number"),
        ('{"x": Infinity}', "not a finite number"),
        ('{"x": 1e999}', "finite"),
        ('{"x": 1,}', "not valid JSON"),
        ('{"2x": 1}', "not a valid variable name"),
        ("[" * 100_000, "not valid JSON"),
        ("", "not valid JSON"),
    ],
)
def test_bad_vars_files_are_clear_errors(tmp_path, content, fragment):
    path = tmp_path / "vars.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExprError, match=fragment):
        load_vars_file(str(path))


def test_vars_file_that_cannot_be_read(tmp_path):
    with pytest.raises(ExprError, match="no such file"):
        load_vars_file(str(tmp_path / "missing.json"))
    with pytest.raises(ExprError, match="is a directory"):
        load_vars_file(str(tmp_path))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe{")
    with pytest.raises(ExprError, match="not UTF-8"):
        load_vars_file(str(binary))
    big = tmp_path / "big.json"
    big.write_text(" " * (expr.MAX_VARS_FILE + 1), encoding="utf-8")
    with pytest.raises(ExprError, match="too large"):
        load_vars_file(str(big))


def test_parser_warnings_are_not_printed():
    # "1if" makes Python's parser warn ("invalid decimal literal"); the CLI prints one line.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ExprError, match="conditional expressions"):
            parse("1if x else 2")
    assert caught == []
