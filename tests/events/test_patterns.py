"""Event patterns: AWS's documented examples as tables, and properties that hold for any event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from overcast.events.patterns import InvalidEventPattern, compile_pattern

# The examples of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html and
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html: (pattern, event, matches).
EXAMPLES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York", "Day": "Monday"}, True),
    ({"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York", "Day": "Tuesday"}, False),
    ({"state": [{"anything-but": "initializing"}]}, {"state": "running"}, True),
    ({"state": [{"anything-but": "initializing"}]}, {"state": "initializing"}, False),
    ({"state": [{"anything-but": "initializing"}]}, {}, False),
    ({"state": [{"anything-but": ["stopped", "overloaded"]}]}, {"state": "running"}, True),
    ({"state": [{"anything-but": ["stopped", "overloaded"]}]}, {"state": "stopped"}, False),
    ({"x-limit": [{"anything-but": 123}]}, {"x-limit": 124}, True),
    ({"x-limit": [{"anything-but": 123}]}, {"x-limit": 123}, False),
    ({"x-limit": [{"anything-but": [100, 200, 300]}]}, {"x-limit": 200}, False),
    ({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"}, True),
    ({"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"}, False),
    ({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"}, True),
    ({"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"}, False),
    ({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}, {"state": "INITIALIZING"}, False),
    ({"state": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}]}, {"state": "C"}, True),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/lib/x"}, False),
    ({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}, {"FilePath": "/usr/bin/x"}, True),
    ({"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, True),
    ({"Region": [{"prefix": "us-"}]}, {"Region": "eu-west-1"}, False),
    ({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}, {"service": "EventBridge"}, True),
    ({"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]}, {"service": "EVENTBRIDGE"}, True),
    ({"service": [{"suffix": {"equals-ignore-case": "tBridge"}}]}, {"service": "EventBus"}, False),
    ({"LastName": [""]}, {"LastName": ""}, True),
    ({"LastName": [""]}, {"LastName": "x"}, False),
    ({"Name": ["Alice"]}, {"Name": "Alice"}, True),
    ({"Name": ["Alice"]}, {"Name": "alice"}, False),
    ({"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.png"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.PNG"}, False),
    ({"ProductName": [{"exists": True}]}, {"ProductName": "x"}, True),
    ({"ProductName": [{"exists": True}]}, {}, False),
    ({"ProductName": [{"exists": False}]}, {}, True),
    ({"ProductName": [{"exists": False}]}, {"ProductName": "x"}, False),
    ({"detail": {"c-count": [{"exists": False}]}}, {"detail": {}}, True),
    ({"detail": {"c-count": [{"exists": False}]}}, {}, True),
    ({"UserID": [None]}, {"UserID": None}, True),
    ({"UserID": [None]}, {}, False),
    ({"UserID": [None]}, {"UserID": "x"}, False),
    ({"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}, {"sourceIPAddress": "10.0.0.7"}, True),
    ({"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}, {"sourceIPAddress": "10.0.1.7"}, False),
    ({"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}, {"sourceIPAddress": "2001:db8::1"}, True),
    ({"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}, {"sourceIPAddress": "not an address"}, False),
    ({"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"c-count": 5}, True),
    ({"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"c-count": 0}, False),
    ({"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"c-count": "3"}, False),
    ({"d-count": [{"numeric": ["<", 10]}]}, {"d-count": 9.5}, True),
    ({"x-limit": [{"numeric": ["=", 3.018e2]}]}, {"x-limit": 301.8}, True),
    ({"x-limit": [{"numeric": ["=", 300]}]}, {"x-limit": 300.0}, True),
    (
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"},
        True,
    ),
    (
        {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
        {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"},
        False,
    ),
    ({"k": [{"wildcard": "a\\*b"}]}, {"k": "a*b"}, True),
    ({"k": [{"wildcard": "a\\*b"}]}, {"k": "axb"}, False),
    # Arrays: the event's field is an array; any element matching matches.
    (
        {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]},
        {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f", "other"]},
        True,
    ),
    ({"resources": ["a", "b"]}, {"resources": ["c", "d"]}, False),
    ({"state": [{"anything-but": "a"}]}, {"state": ["a", "b"]}, True),
    ({"detail": {"state": ["stopped"]}}, {"detail": [{"state": "running"}, {"state": "stopped"}]}, True),
    # Exact values: numbers, booleans, and types that differ.
    ({"n": [5]}, {"n": 5}, True),
    ({"n": [5]}, {"n": "5"}, False),
    ({"b": [True]}, {"b": True}, True),
    ({"b": [True]}, {"b": 1}, False),
    ({"n": [1]}, {"n": True}, False),
    # Nested objects and $or.
    (
        {"source": ["aws.ec2"], "detail": {"state": ["running"]}},
        {"source": "aws.ec2", "detail": {"state": "running", "other": 1}},
        True,
    ),
    ({"source": ["aws.ec2"], "detail": {"state": ["running"]}}, {"source": "aws.ec2", "detail": "running"}, False),
    (
        {
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"d-count": [{"numeric": ["<", 10]}]},
                    {"x-limit": [{"anything-but": [100, 200, 300]}]},
                ]
            }
        },
        {"detail": {"c-count": 9, "d-count": 3}},
        True,
    ),
    (
        {"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}},
        {"detail": {"c-count": 9, "d-count": 30}},
        False,
    ),
    ({"source": ["aws.ec2"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"source": "aws.ec2", "b": "2"}, True),
    ({"source": ["aws.ec2"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"source": "aws.s3", "b": "2"}, False),
    # Lambda's SQS filter, on the parsed body (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html).
    ({"body": {"RequestCode": ["BBBB"]}}, {"body": {"RecordNumber": 1234, "RequestCode": "BBBB"}}, True),
    ({"body": {"RequestCode": ["BBBB"]}}, {"body": {"RecordNumber": 1234, "RequestCode": "AAAA"}}, False),
    ({"body": [{"prefix": "A"}]}, {"body": "ABC"}, True),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), EXAMPLES)
def test_aws_examples(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert compile_pattern(json.dumps(pattern)).matches(event) is expected


INVALID = [
    ("[]", "Filter is not an object"),
    ("{", "not valid JSON"),
    ('{"a": "b"}', '"a" must be an object or an array'),
    ('{"a": []}', "Empty arrays are not allowed"),
    ('{"a": {}}', "Empty objects are not allowed"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed"),
    ('{"a": [{"bogus": "x"}]}', "Unrecognized match type bogus"),
    ('{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false"),
    ('{"a": [{"numeric": [">", "x"]}]}', "must be numeric"),
    ('{"a": [{"numeric": ["<", 1, ">", 0]}]}', "Invalid member in numeric match"),
    ('{"a": [{"numeric": [">", 5, "<", 1]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 6e9]}]}', "between -5.0E9 and 5.0E9"),
    ('{"a": [{"numeric": [">", 1, "<", 2, "<", 3]}]}', "Too many elements"),
    ('{"a": [{"numeric": "x"}]}', "must be an array"),
    ('{"a": [{"cidr": "10.0.0.0/99"}]}', "Nonstandard IP address"),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\qb"}]}', "Invalid escape character"),
    ('{"a": [{"anything-but": []}]}', "anything-but"),
    ('{"a": [{"anything-but": [null]}]}', "start|null|boolean is not supported"),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "Unsupported anything-but pattern"),
    ('{"$or": [{"a": ["1"]}]}', "$or"),
    ('{"$or": ["x", {"a": ["1"]}]}', "$or"),
    ('{"a": [["x"]]}', "Match value must be String, number, true, false, or null"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_patterns_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidEventPattern, match=None) as raised:
        compile_pattern(text)
    assert reason in str(raised.value)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**9), 10**9), st.text(max_size=12),
    st.floats(-1e9, 1e9, allow_nan=False),
)  # fmt: skip
keys = st.text("abcdef", min_size=1, max_size=3)
events = st.recursive(
    st.dictionaries(keys, scalars, max_size=4),
    lambda inner: st.dictionaries(keys, st.one_of(scalars, inner, st.lists(scalars, max_size=3)), max_size=4),
    max_leaves=12,
)


def _exact_pattern(event: dict[str, Any]) -> dict[str, Any]:
    """A pattern naming every leaf of `event` by its exact value."""
    pattern: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, dict):
            if inner := _exact_pattern(value):
                pattern[key] = inner
        elif isinstance(value, list):
            if value:
                pattern[key] = list(value)
        else:
            pattern[key] = [value]
    return pattern


@given(events)
def test_an_event_matches_the_pattern_of_its_own_values(event: dict[str, Any]) -> None:
    pattern = _exact_pattern(event)
    if pattern:
        assert compile_pattern(json.dumps(pattern)).matches(event)


@given(st.text(max_size=10), st.text(max_size=10))
def test_prefix_suffix_and_anything_but_agree_with_python(value: str, affix: str) -> None:
    event = {"k": value}
    assert compile_pattern(json.dumps({"k": [{"prefix": affix}]})).matches(event) is value.startswith(affix)
    assert compile_pattern(json.dumps({"k": [{"suffix": affix}]})).matches(event) is value.endswith(affix)
    assert compile_pattern(json.dumps({"k": [{"anything-but": {"prefix": affix}}]})).matches(event) is (
        not value.startswith(affix)
    )
    assert compile_pattern(json.dumps({"k": [{"anything-but": affix}]})).matches(event) is (value != affix)
    star = compile_pattern(json.dumps({"k": [{"wildcard": "*" + affix.replace("\\", "\\\\").replace("*", "\\*")}]}))
    assert star.matches(event) is value.endswith(affix)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_numeric_ranges_agree_with_python(value: int, low: int, high: int) -> None:
    if low >= high:
        return
    pattern = compile_pattern(json.dumps({"n": [{"numeric": [">=", low, "<", high]}]}))
    assert pattern.matches({"n": value}) is (low <= value < high)
    assert pattern.matches({"n": float(value)}) is (low <= value < high)


@given(events, keys)
def test_exists_false_is_the_opposite_of_exists_true(event: dict[str, Any], key: str) -> None:
    present = compile_pattern(json.dumps({key: [{"exists": True}]})).matches(event)
    absent = compile_pattern(json.dumps({key: [{"exists": False}]})).matches(event)
    assert present is not absent
