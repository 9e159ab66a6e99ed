"""JSONata in ASL: `{% %}` templates, `$states`, variables, and Step Functions' own functions.

Expressions are compiled once (jsonata-python) and cached. Step Functions adds $partition,
$range, $hash, $random, $uuid and $parse; $now/$millis answer the time the state was entered,
so a replayed execution sees the same values.
https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import random as _random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any


@functools.cache
def _library() -> tuple[Any, Any]:
    """jsonata-python's expression class and its null, imported with the first JSONata expression rather
    than at every start (~15 ms and ~1 MB)."""
    import jsonata
    from jsonata.utils import Utils

    return jsonata.Jsonata, Utils.NULL_VALUE


class QueryError(Exception):
    """A JSONata expression failed; `message` is AWS's sentence after the state prefix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExpressionSyntaxError(ValueError):
    pass


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def expression_text(value: str) -> str:
    return value[2:-2].strip()


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> Any:
    try:
        expression = _library()[0](text)
    except Exception as exc:  # jsonata raises JException (a RuntimeError) on syntax errors
        raise ExpressionSyntaxError(_describe(exc)) from None
    expression.set_output_convert_nulls(False)
    return expression


_WORDING = ((" of Object ", " of function "), (" to Object ", " to function "),
            (" Object signature", " function signature"))


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "error", None)
    # jsonata-python words a function as "Object" ("Argument 1 of Object sum ..."): JSONata says "function".
    message = str(exc)
    for wrong, right in _WORDING:
        message = message.replace(wrong, right)
    return f"{code}: {message}" if code else message


class Bindings:
    """What an expression may read: `$states`, the variables in scope, and the effects."""

    __slots__ = ("_values",)

    def __init__(
        self,
        states: Mapping[str, Any],
        variables: Mapping[str, Any],
        *,
        random: Callable[[], float],
        uuid: Callable[[], str],
        now: float,
    ) -> None:
        values: dict[str, Any] = {name: to_jsonata(value) for name, value in variables.items()}
        values["states"] = to_jsonata(dict(states))
        millis = int(now * 1000)
        stamp = datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        function = _library()[0].JLambda
        values["now"] = function(lambda *args: stamp)
        values["millis"] = function(lambda *args: millis)
        values["partition"] = function(_partition)
        values["range"] = function(_range)
        values["hash"] = function(_hash)
        values["random"] = function(lambda seed=None: _random_value(random, seed))
        values["uuid"] = function(lambda: uuid())
        values["parse"] = function(_parse)
        # $number keeps JSONata's signature, so that `"12".$number()` takes its context value.
        values["number"] = _library()[0].JFunction(function(_number), "<(nsb)-:(n)>")
        self._values = values

    @property
    def values(self) -> dict[str, Any]:
        return self._values


def evaluate(text: str, bindings: Bindings, field: str) -> Any:
    """Evaluate one `{% expr %}` string for `field` (e.g. 'Output/result'); QueryError if it fails."""
    source = expression_text(text)
    try:
        expression = compile_expression(source)
    except ExpressionSyntaxError as exc:
        raise QueryError(
            f"The JSONata expression '{source}' specified for the field '{field}' threw an error "
            f"during evaluation. {exc}"
        ) from None
    try:
        result = expression.evaluate(None, bindings.values)
    except _FunctionError as exc:
        raise QueryError(
            f"The JSONata expression '{source}' specified for the field '{field}' threw an error "
            f"during evaluation. {exc.message}"
        ) from None
    except Exception as exc:  # JException and anything a function raised
        raise QueryError(
            f"The JSONata expression '{source}' specified for the field '{field}' threw an error "
            f"during evaluation. {_describe(exc)}"
        ) from None
    if result is None:
        raise QueryError(
            f"The JSONata expression '{source}' specified for the field '{field}' returned nothing "
            "(undefined)."
        )
    if _holds_function(result):
        # A function (`$sum`, `function($x){...}`) is a JSONata value but no JSON one: AWS fails
        # the field rather than serialising it. https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
        raise QueryError(
            f"The JSONata expression '{source}' specified for the field '{field}' returned an unsupported "
            "result type."
        )
    return from_jsonata(result)


def _holds_function(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_function(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_function(item) for item in value)
    if value is None or isinstance(value, (str, int, float)):
        return False
    from jsonata.functions import Functions
    from jsonata.utils import Utils

    return bool(Utils.is_function(value) or Functions.is_lambda(value) or Functions.is_regex(value))


def evaluate_template(template: Any, bindings: Bindings, field: str) -> Any:
    """A JSONata-language field: every `{% %}` string inside it evaluated, the rest kept."""
    if isinstance(template, str):
        return evaluate(template, bindings, field) if is_expression(template) else template
    if isinstance(template, dict):
        return {
            key: evaluate_template(value, bindings, f"{field}/{key}") for key, value in template.items()
        }
    if isinstance(template, list):
        return [evaluate_template(value, bindings, f"{field}[{i}]") for i, value in enumerate(template)]
    return template


def to_jsonata(value: Any) -> Any:
    if value is None:
        return _library()[1]
    if isinstance(value, dict):
        return {key: to_jsonata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_jsonata(item) for item in value]
    return value


def from_jsonata(value: Any) -> Any:
    if value is None or value is _library()[1]:
        return None
    if isinstance(value, dict):
        return {key: from_jsonata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_jsonata(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# -- Step Functions' functions ------------------------------------------------------------


class _FunctionError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _partition(array: Any, size: Any) -> list[Any]:
    items = from_jsonata(array)
    if not isinstance(items, list):
        items = [items]
    if not isinstance(size, (int, float)) or isinstance(size, bool) or size <= 0 or size != int(size):
        raise _FunctionError("The chunk size for $partition must be a positive integer.")
    chunk = int(size)
    return [to_jsonata(items[i : i + chunk]) for i in range(0, len(items), chunk)]


def _range(start: Any, end: Any, step: Any) -> list[Any]:
    for value in (start, end, step):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != int(value):
            raise _FunctionError("The arguments of $range must be integers.")
    first, last, delta = int(start), int(end), int(step)
    if delta == 0:
        raise _FunctionError("The step of $range must not be 0.")
    values = list(range(first, last + (1 if delta > 0 else -1), delta))
    if len(values) > 1000:
        raise _FunctionError("$range can produce at most 1000 elements.")
    return values


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(data: Any, algorithm: Any) -> str:
    if algorithm not in _HASHES:
        raise _FunctionError(
            f"The hash algorithm '{algorithm}' is not supported. Supported algorithms: "
            "MD5, SHA-1, SHA-256, SHA-384, SHA-512"
        )
    value = from_jsonata(data)
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


def _random_value(draw: Callable[[], float], seed: Any) -> float:
    if seed is None:
        return draw()
    if not isinstance(seed, (int, float)) or isinstance(seed, bool) or math.isnan(seed):
        raise _FunctionError("The seed of $random must be a number.")
    return _random.Random(int(seed)).random()


_JSON_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


def _number(value: Any = None) -> Any:
    """JSONata's $number: a number as is, a JSON number's text or 0x/0o/0b integer parsed, booleans as
    1/0; anything else D3030 (jsonata-python raised Python's own ValueError for an unparsable text).
    https://docs.jsonata.org/numeric-functions#number"""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _JSON_NUMBER.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return int(number) if number.is_integer() and abs(number) < 2**53 else number
        base = {"0x": 16, "0o": 8, "0b": 2}.get(text[:2].lower())
        if base is not None:
            with contextlib.suppress(ValueError):
                return int(text[2:], base)
    shown = json.dumps(from_jsonata(value), separators=(",", ":"))
    raise _FunctionError(f"D3030: Unable to cast value to a number: {shown}")


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise _FunctionError("The argument of $parse must be a string.")
    try:
        return to_jsonata(json.loads(text))
    except ValueError:
        raise _FunctionError(f"Unable to parse '{text}' as JSON.") from None
