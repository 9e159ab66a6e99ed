"""validate: check parsed parameters against the model's constraints, as AWS reports them.

Required members, enum values, string / blob / list / map lengths and numeric ranges, each failure
worded as AWS's validation layer words it and all of them counted in one error:
`2 validation errors detected: Value '20000' at 'memorySize' failed to satisfy constraint: Member
must have value less than or equal to 10240; Value null at 'role' failed to satisfy constraint:
Member must not be null`. Members are named lower-camel-case, list items `<list>.<n>.member`.
`pattern` is deliberately not checked: botocore's patterns are Java regexes and services word
their pattern errors themselves, so the handlers check the patterns they care about.
Checks are compiled once per shape; shapes without constraints cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from overcast.errors import AwsError, BadRequest, ValidationException


class ValidationError(AwsError):
    """The query protocols' (IAM, STS, CloudFormation) name for a ValidationException."""

    code, status = "ValidationError", 400


# Services that answer a broken constraint with their own error code, e.g. API Gateway's
# "BadRequestException: 1 validation error detected: ..."
# (https://docs.aws.amazon.com/apigateway/latest/api/CommonErrors.html).
_SERVICE_ERRORS: dict[str, type[AwsError]] = {"apigateway": BadRequest, "apigatewayv2": BadRequest}

Check = Callable[[Any, str, list[str]], None]  # (value, path, errors out)

# Operation models live as long as their cached service model; the model is kept to rule out id reuse.
_by_operation: dict[int, tuple[OperationModel, Check | None]] = {}


def validate(operation: OperationModel, params: dict[str, Any]) -> None:
    """Raise ValidationException (ValidationError for query services) listing every broken constraint."""
    hit = _by_operation.get(id(operation))
    if hit is None or hit[0] is not operation:
        shape = operation.input_shape
        hit = _by_operation[id(operation)] = (operation, None if shape is None else _check(shape))
    check = hit[1]
    if check is None:
        return
    errors: list[str] = []
    check(params, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        message = f"{count} validation {noun} detected: {'; '.join(errors)}"
        if operation.metadata.get("protocol") == "query":
            raise ValidationError(message)
        raise _SERVICE_ERRORS.get(operation.service_model.service_name, ValidationException)(message)


def describe(value: Any) -> str:
    """A value as AWS (Java's toString) writes it inside 'Value ... at'."""
    if value is None:
        return "null"
    return f"'{_java_text(value)}'"


def _java_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_java_text(k)}={_java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes | bytearray):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    return str(value)


def _failure(value: Any, path: str, constraint: str) -> str:
    return f"Value {describe(value)} at '{path}' failed to satisfy constraint: {constraint}"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


_cache: dict[tuple[Any, ...], Check | None] = {}
_BUILDING = object()


def _check(shape: Shape) -> Check | None:
    key = (id(getattr(shape, "_shape_resolver", None)), shape.name, repr(sorted(shape.metadata.items(), key=str)))
    hit = _cache.get(key, _BUILDING)
    if hit is not _BUILDING:
        return hit  # type: ignore[return-value]
    box: list[Check | None] = []

    def forward(value: Any, path: str, errors: list[str]) -> None:
        real = box[0]
        if real is not None:
            real(value, path, errors)

    _cache[key] = forward  # breaks recursion while the real one is built
    built = _build(shape)
    box.append(built)
    _cache[key] = built
    return built


def _bounds(shape: Shape) -> tuple[Any, Any]:
    return shape.metadata.get("min"), shape.metadata.get("max")


def _length_constraints(lo: Any, hi: Any, value: Any, size: int, path: str, errors: list[str]) -> None:
    if hi is not None and size > hi:
        errors.append(_failure(value, path, f"Member must have length less than or equal to {hi}"))
    if lo is not None and size < lo:
        errors.append(_failure(value, path, f"Member must have length greater than or equal to {lo}"))


def _build(shape: Shape) -> Check | None:
    kind = shape.type_name
    lo, hi = _bounds(shape)
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if shape.is_document_type:
            return None
        required = set(shape.required_members)
        members = []
        for name, member in shape.members.items():
            check = _check(member)
            if check is not None or name in required:
                members.append((name, _camel(name), name in required, check))
        if not members:
            return None

        def check_structure(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                return
            for name, wire, is_required, check in members:
                item = value.get(name)
                where = f"{path}.{wire}" if path else wire
                if item is None:
                    if is_required:
                        errors.append(_failure(None, where, "Member must not be null"))
                elif check is not None:
                    check(item, where, errors)

        return check_structure
    if kind == "list":
        assert isinstance(shape, ListShape)
        item_check = _check(shape.member)
        if item_check is None and lo is None and hi is None:
            return None

        def check_list(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, list):
                return
            _length_constraints(lo, hi, value, len(value), path, errors)
            if item_check is not None:
                for index, item in enumerate(value, 1):
                    item_check(item, f"{path}.{index}.member", errors)

        return check_list
    if kind == "map":
        assert isinstance(shape, MapShape)
        key_check, value_check = _check(shape.key), _check(shape.value)
        if key_check is None and value_check is None and lo is None and hi is None:
            return None

        def check_map(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                return
            _length_constraints(lo, hi, value, len(value), path, errors)
            for label, inner_check, pick in (("keys", key_check, 0), ("value", value_check, 1)):
                if inner_check is None:
                    continue
                inner: list[str] = []
                for pair in value.items():
                    inner_check(pair[pick], path, inner)
                if inner:
                    reasons = sorted({e.split("failed to satisfy constraint: ", 1)[1] for e in inner})
                    subject = "Map keys" if label == "keys" else "Map value"
                    errors.append(_failure(value, path, f"{subject} must satisfy constraint: [{', '.join(reasons)}]"))

        return check_map
    if kind == "string":
        enum = shape.metadata.get("enum")
        allowed = frozenset(enum) if enum else None
        enum_text = f"Member must satisfy enum value set: [{', '.join(enum)}]" if enum else ""
        if allowed is None and lo is None and hi is None:
            return None

        def check_string(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, str):
                return
            _length_constraints(lo, hi, value, len(value), path, errors)
            if allowed is not None and value not in allowed:
                errors.append(_failure(value, path, enum_text))

        return check_string
    if kind == "blob":
        if lo is None and hi is None:
            return None

        def check_blob(value: Any, path: str, errors: list[str]) -> None:
            if isinstance(value, bytes | bytearray):
                _length_constraints(lo, hi, value, len(value), path, errors)

        return check_blob
    if kind in ("integer", "long", "float", "double"):
        if lo is None and hi is None:
            return None

        def check_number(value: Any, path: str, errors: list[str]) -> None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return
            if hi is not None and value > hi:
                errors.append(_failure(value, path, f"Member must have value less than or equal to {hi}"))
            if lo is not None and value < lo:
                errors.append(_failure(value, path, f"Member must have value greater than or equal to {lo}"))

        return check_number
    return None
