"""JSONPath in ASL: paths ($, $$ context, $variable), reference paths (ResultPath), payload templates.

Paths are compiled once and cached. Simple paths (`$.a.b[0]['c']`, the vast majority) are
walked directly; anything else (wildcards, slices, filters, recursive descent) goes through
jsonpath-ng, whose parse costs ~400 us, hence the cache. A non-definite path yields a list, as
AWS's JsonPath does. https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class PathError(ValueError):
    """The text is not a valid path."""


class NoMatch(LookupError):
    """A path selected nothing. `path` is the text as written."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class UndefinedVariable(LookupError):
    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.name = name
        self.path = path


# AWS's JsonPath (Jayway) reads a dot-notation name up to the next '.', '[' or '(' (a function
# call); it may hold quotes, '@', '?', '*' and backslashes, taken literally (only a leading '*' is the
# wildcard). A space there is an error (bracket notation is for that). In bracket notation,
# backslash escapes are Java's (\n, \t, \', \uXXXX, ...).
# https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
_SEGMENT = re.compile(
    r"""\.(?P<name>[^.\[(*\s][^.\[(\s]*)        # .name (e.g. input-value, it's, a*b)
      |\[(?P<index>-?\d+)\]                  # [3]
      |\[\s*'(?P<quoted>(?:[^'\\]|\\.)*)'\s*\]  # ['name']
      |\[\s*"(?P<dquoted>(?:[^"\\]|\\.)*)"\s*\]""",
    re.VERBOSE,
)
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path. `root` is "$" (the data), "$$" (the context) or "$name" (a variable)."""

    text: str
    root: str
    steps: tuple[str | int, ...] | None  # simple path: the keys/indexes to walk
    query: Any = None  # jsonpath-ng expression for anything else
    definite: bool = True

    @property
    def is_variable(self) -> bool:
        return self.root not in ("$", "$$")

    def find(self, data: Any) -> Any:
        """The value at this path in `data` (the root is already chosen); NoMatch if none."""
        if self.steps is not None:
            value = data
            for step in self.steps:
                if isinstance(step, int):
                    if not isinstance(value, list):
                        raise NoMatch(self.text)
                    try:
                        value = value[step]
                    except IndexError:
                        raise NoMatch(self.text) from None
                else:
                    if not isinstance(value, dict) or step not in value:
                        raise NoMatch(self.text)
                    value = value[step]
            return value
        matches = [match.value for match in self.query.find(data)]
        if self.definite:
            if not matches:
                raise NoMatch(self.text)
            return matches[0]
        return matches


@functools.lru_cache(maxsize=4096)
def compile_path(text: str) -> Path:
    """Compile a path (`$...`, `$$...`, `$var...`); PathError if it is not one."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathError(f"'{text}' must start with '$'")
    if text.startswith("$$"):
        root, rest = "$$", text[2:]
    else:
        variable = _VARIABLE.match(text)
        if variable:
            root, rest = variable.group(0), text[variable.end() :]
        else:
            root, rest = "$", text[1:]
    steps = _simple_steps(rest)
    if steps is not None:
        return Path(text, root, steps)
    # jsonpath-ng parses only what the simple steps above cannot express (a compiled path is cached), so it
    # is imported here: ~10 ms and ~1 MB at every start otherwise.
    from jsonpath_ng.ext import parse

    try:
        query = parse("$" + rest)
    except Exception as exc:  # jsonpath-ng raises broadly (JsonPathLexerError, JsonPathParserError, others)
        raise PathError(str(exc)) from None
    definite = not any(token in rest for token in ("*", "..", "?(", ":", ","))
    return Path(text, root, None, query, definite)


def _simple_steps(rest: str) -> tuple[str | int, ...] | None:
    steps: list[str | int] = []
    pos = 0
    while pos < len(rest):
        match = _SEGMENT.match(rest, pos)
        if match is None:
            return None
        if match.group("name") is not None:
            steps.append(match.group("name"))
        elif match.group("index") is not None:
            index = int(match.group("index"))
            if index < 0:
                return None
            steps.append(index)
        else:
            quoted = match.group("quoted")
            if quoted is None:
                quoted = match.group("dquoted")
            steps.append(_unescape(quoted))
        pos = match.end()
    return tuple(steps)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def _unescape(quoted: str) -> str:
    """A bracket-notation name's escapes, as Java's: \\n a newline, \\u00e9 an e-acute, \\x an x."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) == 5:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(one, quoted)


def normalised_path(text: str) -> str:
    """A path as AWS's JsonPath prints it: `$.a.b[0]` -> `$['a']['b'][0]` (others as written)."""
    path = compile_path(text)
    if path.steps is None:
        return text
    parts = [f"[{step}]" if isinstance(step, int) else "['" + step.replace("'", "\\'") + "']" for step in path.steps]
    return path.root + "".join(parts)


@functools.lru_cache(maxsize=1024)
def compile_reference_path(text: str) -> tuple[str | int, ...]:
    """A reference path (ResultPath): a simple `$...` path without wildcards. PathError if not."""
    path = compile_path(text)
    if path.root != "$" or path.steps is None:
        raise PathError(f"'{text}' is not a valid reference path")
    return path.steps


class Env:
    """What paths, templates and intrinsic functions may read while evaluating one state.

    The context object `$$` is built on first use (most states never read it).
    """

    __slots__ = ("_context", "_make_context", "random", "uuid", "variables")

    def __init__(
        self,
        context: Callable[[], Any] | Any,
        variables: Mapping[str, Any],
        random: Callable[[], float],
        uuid: Callable[[], str],
    ) -> None:
        self._make_context = context if callable(context) else None
        self._context = None if callable(context) else context
        self.variables = variables
        self.random = random
        self.uuid = uuid

    @property
    def context(self) -> Any:
        if self._make_context is not None:
            self._context = self._make_context()
            self._make_context = None
        return self._context


def select(text: str, data: Any, env: Env) -> Any:
    """Evaluate a path against the state's data, the context object or a variable."""
    path = compile_path(text)
    if path.root == "$":
        return path.find(data)
    if path.root == "$$":
        return path.find(env.context)
    name = path.root[1:]
    if name not in env.variables:
        raise UndefinedVariable(name, text)
    return path.find(env.variables[name])


def put(text: str, target: Any, value: Any) -> Any:
    """ResultPath: a copy of `target` with `value` placed at the reference path."""
    steps = compile_reference_path(text)
    if not steps:
        return value
    return _put(target, steps, value, text)


class ResultPathMismatch(ValueError):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _put(target: Any, steps: tuple[str | int, ...], value: Any, text: str) -> Any:
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        if not isinstance(target, list) or step >= len(target):
            raise ResultPathMismatch(text)
        out_list = list(target)
        out_list[step] = _put(out_list[step], rest, value, text) if rest else value
        return out_list
    if target is None:
        target = {}
    if not isinstance(target, dict):
        raise ResultPathMismatch(text)
    out = dict(target)
    out[step] = _put(out.get(step), rest, value, text) if rest else value
    return out


def evaluate_template(template: Any, data: Any, env: Env) -> Any:
    """A payload template (Parameters, ResultSelector, ItemSelector, Assign): `.$` keys resolved.

    Raises NoMatch / UndefinedVariable (with the key's name via TemplateFieldError) and
    IntrinsicFailure from intrinsic functions.
    """
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = evaluate_dynamic(key, value, data, env)
            else:
                out[key] = evaluate_template(value, data, env)
        return out
    if isinstance(template, list):
        return [evaluate_template(item, data, env) for item in template]
    return template


class TemplateFieldError(LookupError):
    """A `.$` field's path selected nothing: `field` is its key, `path` the path."""

    def __init__(self, field: str, path: str, cause: LookupError) -> None:
        super().__init__(field)
        self.field = field
        self.path = path
        self.cause = cause


def evaluate_dynamic(key: str, value: str, data: Any, env: Env) -> Any:
    """The value of one `key.$` field: a path or an intrinsic function call."""
    if value.startswith("States."):
        from overcast.workflows.asl.intrinsics import evaluate_intrinsic

        return evaluate_intrinsic(value, data, env)
    try:
        return select(value, data, env)
    except (NoMatch, UndefinedVariable) as exc:
        raise TemplateFieldError(key, value, exc) from None
