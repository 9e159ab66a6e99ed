"""SNS filter policies as a table of AWS's documented examples: policy, message, matches or not.

The examples are those of https://docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html and the
operator pages under "Amazon SNS message filtering" (string, numeric, key matching, AND/OR logic), and the
limits of https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from overcast.events.topics.filter_policies import BODY, InvalidFilterPolicy, compile_policy

# The documentation's example message's attributes (example-filter-policies.html).
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "customer_interests": ("String.Array", '["soccer", "rugby", "hockey"]'),
    "store": ("String", "example_corp"),
    "event": ("String", "order_placed"),
    "price_usd": ("Number", "210.75"),
    "source_ip": ("String", "10.0.0.255"),
}
BODY_MESSAGE = {
    "store": "example_corp",
    "event": "order_placed",
    "customer_interests": ["soccer", "rugby", "hockey"],
    "price_usd": 210.75,
    "delivery": {"address": {"city": "Seattle", "zip": "98101"}},
    "encrypted": False,
}

ATTRIBUTE_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"store": ["example_corp"], "event": ["order_placed"]}, True),
    ({"store": ["example_corp"], "event": ["order_cancelled"]}, False),
    ({"customer_interests": ["rugby"]}, True),  # any element of a String.Array
    ({"customer_interests": ["baseball"]}, False),
    ({"customer_interests": ["rugby", "football", "baseball"]}, True),
    ({"price_usd": [{"numeric": [">=", 100]}]}, True),
    ({"price_usd": [{"numeric": [">", 0, "<=", 150]}]}, False),
    ({"price_usd": [{"numeric": [">", 200, "<", 300]}]}, True),
    ({"price_usd": [{"numeric": ["=", 210.75]}]}, True),
    ({"price_usd": [210.75]}, True),
    ({"price_usd": ["210.75"]}, False),  # a Number attribute is not the string
    ({"store": [{"prefix": "example"}]}, True),
    ({"store": [{"prefix": "other"}]}, False),
    ({"store": [{"suffix": "_corp"}]}, True),
    ({"store": [{"equals-ignore-case": "EXAMPLE_CORP"}]}, True),
    ({"store": [{"anything-but": "example_corp"}]}, False),
    ({"store": [{"anything-but": ["a", "b"]}]}, True),
    ({"event": [{"anything-but": {"prefix": "order-"}}]}, True),
    ({"event": [{"anything-but": {"prefix": "order_"}}]}, False),
    ({"event": [{"anything-but": {"suffix": "_placed"}}]}, False),
    ({"price_usd": [{"anything-but": [100, 500]}]}, True),
    ({"missing": [{"anything-but": "x"}]}, False),  # anything-but needs the key present
    ({"store": [{"exists": True}]}, True),
    ({"encrypted": [{"exists": False}]}, True),
    ({"store": [{"exists": False}]}, False),
    ({"source_ip": [{"cidr": "10.0.0.0/24"}]}, True),
    ({"source_ip": [{"cidr": "10.0.1.0/24"}]}, False),
    ({"store": ["example_corp"], "$or": [{"event": ["x"]}, {"price_usd": [{"numeric": [">", 200]}]}]}, True),
    ({"store": ["example_corp"], "$or": [{"event": ["x"]}, {"price_usd": [{"numeric": ["<", 200]}]}]}, False),
]

BODY_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"store": ["example_corp"]}, True),
    ({"delivery": {"address": {"city": ["Seattle"]}}}, True),
    ({"delivery": {"address": {"city": ["Portland"]}}}, False),
    ({"delivery": {"address": {"zip": [{"prefix": "981"}]}}}, True),
    ({"customer_interests": ["hockey"]}, True),
    ({"price_usd": [{"numeric": [">", 200]}]}, True),
    ({"encrypted": [False]}, True),
    ({"encrypted": [True]}, False),
    ({"delivery": {"phone": [{"exists": False}]}}, True),
    ({"$or": [{"store": ["other"]}, {"delivery": {"address": {"city": ["Seattle"]}}}]}, True),
]


@pytest.mark.parametrize(("policy", "expected"), ATTRIBUTE_CASES, ids=[json.dumps(p) for p, _ in ATTRIBUTE_CASES])
def test_an_attribute_policy_matches_as_aws_documents(policy: dict[str, Any], expected: bool) -> None:
    assert compile_policy(json.dumps(policy)).matches_attributes(ATTRIBUTES) is expected


@pytest.mark.parametrize(("policy", "expected"), BODY_CASES, ids=[json.dumps(p) for p, _ in BODY_CASES])
def test_a_body_policy_matches_as_aws_documents(policy: dict[str, Any], expected: bool) -> None:
    assert compile_policy(json.dumps(policy), BODY).matches_body(json.dumps(BODY_MESSAGE)) is expected


def test_a_body_policy_never_matches_a_body_that_is_not_a_json_object() -> None:
    assert not compile_policy('{"a": [{"exists": false}]}', BODY).matches_body("plain text")


REFUSED: list[tuple[str, str, str]] = [
    ('{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}', "MessageAttributes", "more than 5 keys"),
    (json.dumps({k: [str(i) for i in range(6)] for k in "abc"}), "MessageAttributes", "too complex"),  # 216
    ('{"a": {"b": ["c"]}}', "MessageAttributes", "does not support nested"),
    ('{"a": []}', "MessageAttributes", "Empty arrays"),
    ('{"a": [{"numeric": [">", 1000000001]}]}', "MessageAttributes", "between"),
    ('{"a": [{"numeric": [">", 5, "<", 1]}]}', "MessageAttributes", "Bottom must be less than top"),
    ('{"a": [{"wildcard": "x*"}]}', "MessageAttributes", "Unrecognized match type wildcard"),
    ('{"a": [{"exists": "yes"}]}', "MessageAttributes", "either true or false"),
    ('{"a": [{"prefix": 5}]}', "MessageAttributes", "must be a string"),
    ('{"a": [{"cidr": "nope"}]}', "MessageAttributes", "CIDR"),
    ("[1]", "MessageAttributes", "JSON object"),
    ("{", "MessageBody", "parse"),
]


@pytest.mark.parametrize(("policy", "scope", "reason"), REFUSED, ids=[r for _, _, r in REFUSED])
def test_a_policy_outside_aws_limits_is_refused_with_its_reason(policy: str, scope: str, reason: str) -> None:
    with pytest.raises(InvalidFilterPolicy, match=reason):
        compile_policy(policy, scope)


def test_150_combinations_are_allowed_and_counted_across_or() -> None:
    compile_policy(json.dumps({"a": [str(i) for i in range(10)], "b": [str(i) for i in range(15)]}))  # 150
    too_many = {"$or": [{"a": [str(i) for i in range(100)]}, {"b": [str(i) for i in range(51)]}]}
    with pytest.raises(InvalidFilterPolicy, match="too complex"):
        compile_policy(json.dumps(too_many))
