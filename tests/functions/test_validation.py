import pytest

from overcast.errors import AwsError
from overcast.functions import validation as v

OK = [
    (v.function_name, "my-function_1"),
    (v.function_name, "a" * 64),
    (v.role, "arn:aws:iam::123456789012:role/service-role/my-role"),
    (v.runtime, "python3.13"),
    (v.runtime, "python3.14"),
    (v.runtime, "nodejs18.x"),
    (v.runtime, "nodejs24.x"),
    (v.runtime, "provided.al2023"),
    (v.runtime, "java21"),
    (v.handler, "index.handler"),
    (v.memory_size, 128),
    (v.memory_size, 10240),
    (v.timeout, 1),
    (v.timeout, 900),
    (v.ephemeral_storage, 512),
    (v.environment, {"KEY": "value", "TZ": "Europe/Paris"}),
    (v.environment, {"BIG": "x" * 4000}),
    (v.alias_name, "prod"),
    (v.alias_name, "v1-beta"),
    (v.version, "$LATEST"),
    (v.version, "12"),
    (v.architectures, ["arm64"]),
    (v.unzipped_size, 262_143_999),
]


@pytest.mark.parametrize(("check", "value"), OK)
def test_accepts(check, value) -> None:  # type: ignore[no-untyped-def]
    check(value)


BAD = [
    (v.function_name, "has space", "ValidationException", "Member must satisfy regular expression pattern"),
    (v.function_name, "a" * 65, "ValidationException", "Member must have length less than or equal to 64"),
    (v.function_name, "", "ValidationException", "regular expression"),
    (v.role, "my-role", "ValidationException", "at 'role' failed to satisfy constraint"),
    (v.role, None, "ValidationException", "at 'role'"),
    (v.role, "arn:aws:iam::123456789012:user/bob", "ValidationException", "at 'role'"),
    (
        v.runtime,
        "python2.7",
        "InvalidParameterValueException",
        "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use the new runtime (python3.14) while creating or updating functions.",
    ),
    (v.runtime, "nodejs14.x", "InvalidParameterValueException", "nodejs24.x"),
    (v.runtime, "cobol", "ValidationException", "Member must satisfy enum value set"),
    (v.runtime, None, "ValidationException", "enum value set"),
    (v.handler, "has space", "ValidationException", "at 'handler'"),
    (v.handler, "h" * 129, "ValidationException", "less than or equal to 128"),
    (
        v.memory_size,
        127,
        "ValidationException",
        "Value '127' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
    ),
    (v.memory_size, 10241, "ValidationException", "Member must have value less than or equal to 10240"),
    (v.timeout, 0, "ValidationException", "greater than or equal to 1"),
    (v.timeout, 901, "ValidationException", "less than or equal to 900"),
    (v.ephemeral_storage, 10241, "ValidationException", "less than or equal to 10240"),
    (
        v.environment,
        {"AWS_REGION": "x"},
        "InvalidParameterValueException",
        "Reserved keys used in this request: AWS_REGION",
    ),
    (v.environment, {"1BAD": "x"}, "ValidationException", "Map keys must satisfy constraint"),
    (
        v.environment,
        {"BIG": "x" * 4096},
        "InvalidParameterValueException",
        'exceeded the 4KB limit. String measured: {"BIG":"xxx',
    ),
    (v.alias_name, "123", "ValidationException", "at 'name'"),
    (v.alias_name, "a:b", "ValidationException", "at 'name'"),
    (v.version, "abc", "ValidationException", "at 'functionVersion'"),
    (v.architectures, ["x86_64", "arm64"], "ValidationException", "architectures"),
    (v.architectures, ["sparc"], "ValidationException", "enum value set"),
    (
        v.unzipped_size,
        262_144_000,
        "InvalidParameterValueException",
        "Unzipped size must be smaller than 262144000 bytes",
    ),
    (v.layer_count, 6, "InvalidParameterValueException", "more than 5 layers"),
    (v.TAG_RULES.check, {"aws:x": "y"}, "InvalidParameterValueException", "keys that start with 'aws:' are reserved"),
    (v.TAG_RULES.check, {"k" * 129: "y"}, "ValidationException", "at 'tags' failed to satisfy constraint: Member must"),
    (v.TAG_RULES.check, {"k": "v" * 257}, "ValidationException", "less than or equal to 256"),
]


@pytest.mark.parametrize(("check", "value", "code", "message"), BAD)
def test_refuses(check, value, code: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AwsError) as caught:
        check(value)
    assert caught.value.code == code
    assert message in caught.value.message
    assert caught.value.status == 400


def test_env_limit_is_measured_on_the_json_text() -> None:
    # {"KK":"..."} is 9 bytes of JSON around the value.
    v.environment({"KK": "x" * (4096 - 9)})
    with pytest.raises(AwsError):
        v.environment({"KK": "x" * (4096 - 8)})
    with pytest.raises(AwsError, match="Map keys"):
        v.environment({"K": "x"})  # keys have at least two characters


def test_every_botocore_runtime_is_known() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    enum = set(model.shape_for("Runtime").enum)
    assert enum == set(v.RUNTIMES) | set(v.DEPRECATED_RUNTIMES)
