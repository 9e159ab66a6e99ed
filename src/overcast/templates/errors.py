"""CloudFormation's one error for a template or parameters it refuses before any change: ValidationError."""

from __future__ import annotations

from overcast.errors import AwsError


class TemplateValidationError(AwsError):
    """ValidationError (400, Sender), as CloudFormation answers CreateStack, CreateChangeSet, ValidateTemplate."""

    code, status = "ValidationError", 400


def format_error(message: str) -> TemplateValidationError:
    """A template whose shape is wrong: CloudFormation prefixes these "Template format error: "."""
    return TemplateValidationError(f"Template format error: {message}")


def template_error(message: str) -> TemplateValidationError:
    """A template whose intrinsic functions cannot be evaluated: "Template error: ..."."""
    return TemplateValidationError(f"Template error: {message}")
