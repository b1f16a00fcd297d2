"""Evaluate GitHub Actions expressions (`${{ ... }}`) for the action test harness.

Supported: literals (strings in single quotes, numbers, true, false, null), context paths
such as inputs.src-image, steps.copy.outputs.digest, runner.temp and github.action_path,
the operators ! == != < <= > >= && || and parentheses, and the functions success(),
failure(), always(), cancelled(), contains(), startsWith(), endsWith() and format().
Comparisons follow the runner: strings compare case-insensitively, and && / || return an
operand rather than a boolean. Anything else raises ExpressionError, so an action that uses
an unsupported feature fails the test instead of being evaluated wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>(),.\[\]*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")
EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ExpressionError(ValueError):
    pass


@dataclass
class JobStatus:
    """What the status functions of an `if:` see."""

    failed: bool = False
    cancelled: bool = False


def to_string(value: Any) -> str:
    """Convert a value the way the runner does when it is placed in a string."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _coerce_number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text == "":
        return 0.0
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right):
        return left == right
    return _coerce_number(left) == _coerce_number(right)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot parse expression {text!r} at offset {position}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent parser that evaluates while it parses."""

    def __init__(self, text: str, contexts: Mapping[str, Any], status: JobStatus):
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0
        self.contexts = contexts
        self.status = status

    def parse(self) -> Any:
        value = self._or()
        if self.position != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.position][1]!r} in {self.text!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ExpressionError(f"unexpected end of expression {self.text!r}")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r} but found {token[1]!r} in {self.text!r}")
        self.position += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if is_truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._comparison()
        while self._peek() == "&&":
            self._take()
            right = self._comparison()
            value = right if is_truthy(value) else value
        return value

    def _comparison(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!=", "<", "<=", ">", ">="):
            operator = self._take()[1]
            right = self._unary()
            if operator == "==":
                value = _equal(value, right)
            elif operator == "!=":
                value = not _equal(value, right)
            else:
                left_number, right_number = _coerce_number(value), _coerce_number(right)
                value = {"<": left_number < right_number, "<=": left_number <= right_number,
                         ">": left_number > right_number, ">=": left_number >= right_number}[operator]
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not is_truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            return self._call(text)
        return self._path(text)

    def _path(self, name: str) -> Any:
        if name not in self.contexts:
            raise ExpressionError(f"unknown context {name!r} in {self.text!r}")
        value = self.contexts[name]
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                key = self._take()[1]
            else:
                key = to_string(self._or())
                self._take("]")
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    def _call(self, name: str) -> Any:
        self._take("(")
        arguments = []
        while self._peek() != ")":
            arguments.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")

        functions: dict[str, Callable[..., Any]] = {
            "success": lambda: not self.status.failed and not self.status.cancelled,
            "failure": lambda: self.status.failed,
            "always": lambda: True,
            "cancelled": lambda: self.status.cancelled,
            "contains": _contains,
            "startsWith": lambda a, b: to_string(a).casefold().startswith(to_string(b).casefold()),
            "endsWith": lambda a, b: to_string(a).casefold().endswith(to_string(b).casefold()),
            "format": _format,
        }
        if name not in functions:
            raise ExpressionError(f"function {name}() is not supported by the harness (in {self.text!r})")
        return functions[name](*arguments)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return to_string(needle).casefold() in to_string(haystack).casefold()


def _format(template: Any, *arguments: Any) -> str:
    text = to_string(template)
    for index, argument in enumerate(arguments):
        text = text.replace("{" + str(index) + "}", to_string(argument))
    return text.replace("{{", "{").replace("}}", "}")


def evaluate(expression: str, contexts: Mapping[str, Any], status: JobStatus | None = None) -> Any:
    """Evaluate one expression without the ${{ }} around it."""
    return _Parser(expression, contexts, status or JobStatus()).parse()


def substitute(text: Any, contexts: Mapping[str, Any]) -> Any:
    """Replace every ${{ expression }} inside text; a non-string value is returned unchanged.

    A value that is one whole expression keeps its type, as in the runner.
    """
    if not isinstance(text, str):
        return text
    whole = EMBEDDED.fullmatch(text.strip())
    if whole:
        return evaluate(whole.group(1), contexts)
    return EMBEDDED.sub(lambda match: to_string(evaluate(match.group(1), contexts)), text)


def evaluate_condition(condition: Any, contexts: Mapping[str, Any], status: JobStatus) -> bool:
    """Evaluate a step's `if:`; without a status function the runner adds success() &&."""
    if condition is None:
        condition = "success()"
    if isinstance(condition, bool):
        return condition and not status.failed
    text = str(condition).strip()
    whole = EMBEDDED.fullmatch(text)
    if whole:
        text = whole.group(1).strip()
    if not any(re.search(rf"\b{name}\s*\(", text) for name in STATUS_FUNCTIONS):
        text = f"success() && ({text})"
    return is_truthy(evaluate(text, contexts, status))
