import pytest

from overcast.errors import AwsError
from overcast.functions.names import FunctionRef, parse_function_ref, parse_layer_name, parse_layer_version_arn

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.mark.parametrize(
    ("text", "qualifier", "expected"),
    [
        ("fn", None, FunctionRef("fn", None)),
        ("fn:prod", None, FunctionRef("fn", "prod")),
        ("fn:$LATEST", None, FunctionRef("fn", "$LATEST")),
        ("fn", "3", FunctionRef("fn", "3")),
        ("fn:3", "3", FunctionRef("fn", "3")),
        (f"{ACCOUNT}:function:fn", None, FunctionRef("fn", None)),
        (f"{ACCOUNT}:function:fn:7", None, FunctionRef("fn", "7")),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn", None, FunctionRef("fn", None)),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn:live", None, FunctionRef("fn", "live")),
        (f"arn:aws-cn:lambda:{REGION}:{ACCOUNT}:function:fn:3", "3", FunctionRef("fn", "3")),
        # Forms the API's pattern allows, with parts left out.
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:fn:live", None, FunctionRef("fn", "live")),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function", None, FunctionRef("function", None)),
        (f"{REGION}:{ACCOUNT}:function:fn", None, FunctionRef("fn", None)),
        ("arn:aws:lambda:fn", None, FunctionRef("fn", None)),
    ],
)
def test_function_refs(text: str, qualifier: str | None, expected: FunctionRef) -> None:
    assert parse_function_ref(text, ACCOUNT, REGION, qualifier) == expected


@pytest.mark.parametrize(
    ("text", "qualifier", "code"),
    [
        ("bad name", None, "ValidationException"),
        ("", None, "ValidationException"),
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn", None, "ResourceNotFoundException"),
        (f"arn:aws:lambda:{REGION}:999999999999:function:fn", None, "AccessDeniedException"),
        ("999999999999:function:fn", None, "AccessDeniedException"),
        ("fn:1", "2", "InvalidParameterValueException"),
        ("fn", "a b", "ValidationException"),
    ],
)
def test_bad_function_refs(text: str, qualifier: str | None, code: str) -> None:
    with pytest.raises(AwsError) as caught:
        parse_function_ref(text, ACCOUNT, REGION, qualifier)
    assert caught.value.code == code


def test_layer_names() -> None:
    assert parse_layer_name("deps", ACCOUNT, REGION, "GetLayerVersion") == "deps"
    mine = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps"
    assert parse_layer_name(mine, ACCOUNT, REGION, "GetLayerVersion") == "deps"
    with pytest.raises(AwsError, match="not authorized to perform: lambda:DeleteLayerVersion"):
        parse_layer_name(mine.replace(ACCOUNT, "210987654321"), ACCOUNT, REGION, "DeleteLayerVersion")
    with pytest.raises(AwsError, match="does not exist"):  # another region's layer names nothing here
        parse_layer_name(mine.replace(REGION, "us-west-2"), ACCOUNT, REGION, "GetLayerVersion")
    ref = parse_layer_version_arn(f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:4")
    assert (ref.account, ref.region, ref.name, ref.version) == (ACCOUNT, REGION, "deps", 4)
    with pytest.raises(AwsError):
        parse_layer_version_arn(f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps")
    with pytest.raises(AwsError):
        parse_layer_name("bad name", ACCOUNT, REGION, "GetLayerVersion")
