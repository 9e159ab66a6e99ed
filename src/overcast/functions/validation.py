"""Lambda's rules for function and layer settings: names, runtimes, memory, timeout, environment, limits.

Each check raises the AwsError Lambda raises, with its code and text. Limits come from
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; model constraints (which
Lambda answers with ValidationException) from the API Reference / botocore's model. The wire layer
validates the model too; these checks also protect direct (in-process) callers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from overcast.errors import AwsError
from overcast.functions.errors import InvalidParameterValue, ValidationException
from overcast.functions.names import constraint_error
from overcast.kit.pages import Lists, PageLimits
from overcast.kit.tags import TagRules

# --- limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) -----------------
MEMORY_MIN, MEMORY_MAX = 128, 10240
TIMEOUT_MIN, TIMEOUT_MAX = 1, 900
EPHEMERAL_MIN, EPHEMERAL_MAX = 512, 10240
CODE_SIZE_ZIPPED = 52_428_800  # 50 MB, direct upload
CODE_SIZE_UNZIPPED = 262_144_000  # 250 MB, function + layers, unzipped
TOTAL_CODE_SIZE = 80_530_636_800  # 75 GB per account and region
CONCURRENT_EXECUTIONS = 1000
ENVIRONMENT_BYTES = 4096
MAX_LAYERS = 5
FUNCTION_NAME_MAX = 64
DESCRIPTION_MAX = 256
# Lambda's List* operations serve at most 50 items a page, whatever MaxItems asks
# (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html#API_ListFunctions_RequestSyntax).
_PAGE_LIMITS = PageLimits(
    default=50, most=50, below_minimum=lambda n: InvalidParameterValue(f"MaxItems must be at least 1, got {n}.")
)
# CreateFunction's request-size answer for a too-large ZipFile, as Lambda words it (the number is the
# base64-encoded 50 MB plus the request's envelope).
REQUEST_SIZE_LIMIT = 70_167_211

# Tags: 50 a function (https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html), keys
# starting with `aws:` reserved, keys and values too long refused with the model's constraint text.
TAG_RULES = TagRules(
    bad_key=lambda key: constraint_error(key, "tags", "Member must have length less than or equal to 128"),
    bad_value=lambda value: constraint_error(value, "tags", "Member must have length less than or equal to 256"),
)

# --- runtimes (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html) -----------------------
# Runtimes whose "block function create" and "block function update" dates have passed. Existing
# functions keep running on them; creating or changing a function to use them is refused.
DEPRECATED_RUNTIMES: Mapping[str, str] = {
    "python2.7": "python3.14",
    "python3.6": "python3.14",
    "python3.7": "python3.14",
    "python3.8": "python3.14",
    "nodejs": "nodejs24.x",
    "nodejs4.3": "nodejs24.x",
    "nodejs4.3-edge": "nodejs24.x",
    "nodejs6.10": "nodejs24.x",
    "nodejs8.10": "nodejs24.x",
    "nodejs10.x": "nodejs24.x",
    "nodejs12.x": "nodejs24.x",
    "nodejs14.x": "nodejs24.x",
    "nodejs16.x": "nodejs24.x",
    "dotnetcore1.0": "dotnet8",
    "dotnetcore2.0": "dotnet8",
    "dotnetcore2.1": "dotnet8",
    "dotnetcore3.1": "dotnet8",
    "ruby2.5": "ruby3.4",
    "ruby2.7": "ruby3.4",
    "go1.x": "provided.al2023",
    "java8": "java21",
    "provided": "provided.al2023",
}
# The Runtime enum of the API (botocore model) minus the deprecated ones. The newest, python3.14 and nodejs24.x,
# came in November 2025; nodejs24.x's creation is blocked from Jun 1, 2028 and its update from Jul 1, 2028
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html).
RUNTIMES: frozenset[str] = frozenset(
    {
        "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "nodejs26.x",
        "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14", "python3.15",
        "java8.al2", "java11", "java17", "java21", "java25", "java8.al2023", "java11.al2023", "java17.al2023",
        "dotnet6", "dotnet8", "dotnet10",
        "ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0",
        "provided.al2", "provided.al2023", "custom",
    }
)  # fmt: skip
ARCHITECTURES = frozenset({"x86_64", "arm64"})

# Environment variable keys Lambda sets itself and refuses in a configuration
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
RESERVED_ENVIRONMENT_KEYS = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip

# --- logging (https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html) ---------------------
LOG_FORMATS = ("JSON", "Text")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")

_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
_HANDLER = re.compile(r"^\S+$")
_ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_ROLE = re.compile(f"^{_ROLE_PATTERN}$")
_ENV_KEY_PATTERN = "[a-zA-Z]([a-zA-Z0-9_])+"
_ENV_KEY = re.compile(f"^{_ENV_KEY_PATTERN}$")
_ALIAS_PATTERN = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
_ALIAS = re.compile(r"^(?![0-9]+$)[a-zA-Z0-9_-]+$")
_VERSION = re.compile(r"^(\$LATEST|[0-9]+)$")
_LOG_GROUP = re.compile(r"^[\.\-_/#A-Za-z0-9]+$")


def function_name(name: str) -> None:
    """A new function's name: 1-64 of `[a-zA-Z0-9-_]`."""
    if not _NAME.match(name or ""):
        raise constraint_error(name, "functionName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
    if len(name) > FUNCTION_NAME_MAX:
        raise constraint_error(
            name, "functionName", f"Member must have length less than or equal to {FUNCTION_NAME_MAX}"
        )


def role(arn: str | None) -> None:
    if not arn or not _ROLE.match(arn):
        raise constraint_error(arn, "role", f"Member must satisfy regular expression pattern: {_ROLE_PATTERN}")


def runtime(name: str | None) -> None:
    """A runtime for creating or updating a function: in the API's enum and not deprecated."""
    if name is not None and name in DEPRECATED_RUNTIMES:
        raise InvalidParameterValue(
            f"The runtime parameter of {name} is no longer supported for creating or updating AWS Lambda functions. "
            f"We recommend you use the new runtime ({DEPRECATED_RUNTIMES[name]}) while creating or updating functions."
        )
    if name not in RUNTIMES:
        allowed = ", ".join(sorted(RUNTIMES | DEPRECATED_RUNTIMES.keys()))
        raise constraint_error(name, "runtime", f"Member must satisfy enum value set: [{allowed}]")


def layer_runtimes(names: Sequence[str]) -> None:
    if len(names) > 15:
        raise constraint_error(list(names), "compatibleRuntimes", "Member must have length less than or equal to 15")
    for name in names:
        if name not in RUNTIMES and name not in DEPRECATED_RUNTIMES:
            allowed = ", ".join(sorted(RUNTIMES | DEPRECATED_RUNTIMES.keys()))
            raise constraint_error(name, "compatibleRuntimes", f"Member must satisfy enum value set: [{allowed}]")


def handler(text: str | None) -> None:
    if text is None or not _HANDLER.match(text):
        raise constraint_error(text, "handler", "Member must satisfy regular expression pattern: [^\\s]+")
    if len(text) > 128:
        raise constraint_error(text, "handler", "Member must have length less than or equal to 128")


def memory_size(value: int) -> None:
    if value < MEMORY_MIN:
        raise constraint_error(value, "memorySize", f"Member must have value greater than or equal to {MEMORY_MIN}")
    if value > MEMORY_MAX:
        raise constraint_error(value, "memorySize", f"Member must have value less than or equal to {MEMORY_MAX}")


def timeout(value: int) -> None:
    if value < TIMEOUT_MIN:
        raise constraint_error(value, "timeout", f"Member must have value greater than or equal to {TIMEOUT_MIN}")
    if value > TIMEOUT_MAX:
        raise constraint_error(value, "timeout", f"Member must have value less than or equal to {TIMEOUT_MAX}")


def ephemeral_storage(value: int) -> None:
    if value < EPHEMERAL_MIN:
        raise constraint_error(
            value, "ephemeralStorage.size", f"Member must have value greater than or equal to {EPHEMERAL_MIN}"
        )
    if value > EPHEMERAL_MAX:
        raise constraint_error(
            value, "ephemeralStorage.size", f"Member must have value less than or equal to {EPHEMERAL_MAX}"
        )


def description(text: str, member: str = "description") -> None:
    if len(text) > DESCRIPTION_MAX:
        raise constraint_error(text, member, f"Member must have length less than or equal to {DESCRIPTION_MAX}")


def architectures(values: Sequence[str]) -> None:
    if len(values) != 1:
        raise constraint_error(list(values), "architectures", "Member must have length less than or equal to 1")
    if values[0] not in ARCHITECTURES:
        raise constraint_error(values[0], "architectures", "Member must satisfy enum value set: [x86_64, arm64]")


def environment(variables: Mapping[str, str]) -> None:
    """Keys well-formed and not reserved; the variables' JSON text at most 4 KB."""
    for key in variables:
        if not _ENV_KEY.match(key):
            raise ValidationException(
                "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map "
                f"keys must satisfy constraint: [Member must satisfy regular expression pattern: {_ENV_KEY_PATTERN}]"
            )
    reserved = sorted(key for key in variables if key in RESERVED_ENVIRONMENT_KEYS)
    if reserved:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            f"in this request: {', '.join(reserved)}"
        )
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html: "The total size of all
    # environment variables doesn't exceed 4 KB"; Lambda measures the variables' JSON text.
    measured = json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > ENVIRONMENT_BYTES:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            f"provided exceeded the 4KB limit. String measured: {measured}"
        )


def alias_name(name: str) -> None:
    if not _ALIAS.match(name or ""):
        raise constraint_error(name, "name", f"Member must satisfy regular expression pattern: {_ALIAS_PATTERN}")
    if len(name) > 128:
        raise constraint_error(name, "name", "Member must have length less than or equal to 128")


def version(text: str, member: str = "functionVersion") -> None:
    if not _VERSION.match(text or ""):
        raise constraint_error(text, member, "Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)")


def layer_count(count: int) -> None:
    if count > MAX_LAYERS:
        # https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html: up to five layers per function.
        raise InvalidParameterValue(f"Cannot reference more than {MAX_LAYERS} layers.")


def unzipped_size(total: int) -> None:
    """Function code plus all its layers, unzipped, must stay under 250 MB."""
    if total >= CODE_SIZE_UNZIPPED:
        raise InvalidParameterValue(f"Unzipped size must be smaller than {CODE_SIZE_UNZIPPED} bytes")


def _invalid_marker(marker: str) -> AwsError:
    return InvalidParameterValue("Invalid pagination marker.")


# A List* call's Marker must come from the same list: the same operation, account, region and filters,
# else InvalidParameterValueException.
LISTS = Lists("lambda", _PAGE_LIMITS, _invalid_marker)


def logging_config(log_format: str, log_group: str | None, application: str | None, system: str | None) -> None:
    """LoggingConfig's model constraints, and Lambda's rule that log levels need the JSON format."""
    if log_format not in LOG_FORMATS:
        raise constraint_error(
            log_format, "loggingConfig.logFormat", "Member must satisfy enum value set: [JSON, Text]"
        )
    if application is not None and application not in APPLICATION_LOG_LEVELS:
        allowed = ", ".join(APPLICATION_LOG_LEVELS)
        raise constraint_error(
            application, "loggingConfig.applicationLogLevel", f"Member must satisfy enum value set: [{allowed}]"
        )
    if system is not None and system not in SYSTEM_LOG_LEVELS:
        allowed = ", ".join(SYSTEM_LOG_LEVELS)
        raise constraint_error(
            system, "loggingConfig.systemLogLevel", f"Member must satisfy enum value set: [{allowed}]"
        )
    if log_group is not None and (not 1 <= len(log_group) <= 512 or not _LOG_GROUP.match(log_group)):
        raise constraint_error(
            log_group, "loggingConfig.logGroup", r"Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+"
        )
    if log_format == "Text" and (application is not None or system is not None):
        # Lambda's own words (quoted in https://github.com/aws/aws-cdk/pull/28045): log-level filtering needs
        # the JSON format (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
        raise InvalidParameterValue(
            'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or '
            'change the LogFormat to "Json" and try again.'
        )
