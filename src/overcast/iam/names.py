"""The names and paths IAM accepts, checked as IAM checks them (the model's patterns, which the wire layer
leaves to each service), and IAM's wording when one is refused."""

from __future__ import annotations

import re

from overcast.iam.errors import IamValidationError

# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html: RoleName, PolicyName and
# InstanceProfileName are `[\w+=,.@-]+`; Path is `/` or `/.../` of printable ASCII (`\u0021`-`\u007E`).
NAME_PATTERN = r"[\w+=,.@-]+"
_NAME = re.compile(NAME_PATTERN, re.ASCII)
_PATH = re.compile(r"/|/[\u0021-\u007e]+/")
_PATH_PREFIX = re.compile(r"/|/[\u0021-\u007e]*")
_VERSION = re.compile(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")


def _pattern_error(value: str, member: str, pattern: str) -> IamValidationError:
    return IamValidationError(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern}"
    )


def check_name(value: str, member: str) -> str:
    """`member` is the wire name in lower camel case (`roleName`), as IAM's message names it."""
    if not _NAME.fullmatch(value):
        raise _pattern_error(value, member, NAME_PATTERN)
    return value


def check_path(value: str | None, member: str = "path") -> str:
    if value is None:
        return "/"
    if not _PATH.fullmatch(value):
        raise IamValidationError(
            f"The specified value for {member} is invalid. It must begin and end with / and contain only "
            "alphanumeric characters and/or / characters."
        )
    return value


def check_path_prefix(value: str | None) -> str:
    if value is None:
        return "/"
    if not _PATH_PREFIX.fullmatch(value):
        raise _pattern_error(value, "pathPrefix", r"\u002F[\u0021-\u007F]*")
    return value


def version_number(value: str, member: str = "versionId") -> int:
    """`v3` -> 3; a version id IAM could not have made is a validation error."""
    if not _VERSION.fullmatch(value):
        raise _pattern_error(value, member, r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?")
    return int(value[1:].split(".", 1)[0])
