"""rest-json features no model of ours uses yet (S3 and others do): greedy labels, header lists,
header maps, header timestamps, jsonvalue headers, query literals, most-specific routing.

They are checked on a small synthetic model, through botocore's own client serializer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import ServiceModel
from hypothesis import HealthCheck, given, settings
from strategies import value_for_shape
from wire import client_request

from overcast.api.protocols.http import HttpRequest
from overcast.api.protocols.parse import ServiceParser
from overcast.errors import UnknownOperationException

MODEL: dict[str, Any] = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2020-01-01",
        "endpointPrefix": "synthetic",
        "jsonVersion": "1.1",
        "protocol": "rest-json",
        "protocols": ["rest-json"],
        "serviceId": "Synthetic",
        "signatureVersion": "v4",
        "uid": "synthetic-2020-01-01",
    },
    "operations": {
        "GetObject": {
            "name": "GetObject",
            "http": {"method": "GET", "requestUri": "/buckets/{Bucket}/objects/{Key+}"},
            "input": {"shape": "GetObjectInput"},
        },
        "GetObjectVersions": {
            "name": "GetObjectVersions",
            "http": {"method": "GET", "requestUri": "/buckets/{Bucket}/objects/{Key+}?versions"},
            "input": {"shape": "BucketKey"},
        },
        "ListObjects": {
            "name": "ListObjects",
            "http": {"method": "GET", "requestUri": "/buckets/{Bucket}/objects"},
            "input": {"shape": "ListObjectsInput"},
        },
        "PutThing": {
            "name": "PutThing",
            "http": {"method": "PUT", "requestUri": "/things/{Id}"},
            "input": {"shape": "PutThingInput"},
        },
        "PutRaw": {
            "name": "PutRaw",
            "http": {"method": "POST", "requestUri": "/raw/{Id}/text"},
            "input": {"shape": "PutRawInput"},
        },
    },
    "shapes": {
        "GetObjectInput": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "members": {
                "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Name", "location": "uri", "locationName": "Key"},
                "Tags": {"shape": "Names", "location": "header", "locationName": "X-Tags"},
                "Counts": {"shape": "Numbers", "location": "header", "locationName": "X-Counts"},
                "Since": {"shape": "Time", "location": "header", "locationName": "X-Since"},
                "Until": {
                    "shape": "Time",
                    "location": "header",
                    "locationName": "X-Until",
                    "timestampFormat": "iso8601",
                },
                "Meta": {"shape": "Meta", "location": "headers", "locationName": "x-meta-"},
                "Doc": {"shape": "JsonDoc", "location": "header", "locationName": "X-Doc"},
                "Flag": {"shape": "Flag", "location": "header", "locationName": "X-Flag"},
                "Filter": {"shape": "Meta", "location": "querystring"},
                "Versions": {"shape": "Numbers", "location": "querystring", "locationName": "version"},
                "When": {"shape": "Time", "location": "querystring", "locationName": "when"},
            },
        },
        "BucketKey": {
            "type": "structure",
            "required": ["Bucket", "Key"],
            "members": {
                "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"},
                "Key": {"shape": "Name", "location": "uri", "locationName": "Key"},
            },
        },
        "ListObjectsInput": {
            "type": "structure",
            "required": ["Bucket"],
            "members": {
                "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"},
                "Limit": {"shape": "Count", "location": "querystring", "locationName": "limit"},
            },
        },
        "PutThingInput": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "Name", "location": "uri", "locationName": "Id"},
                "Thing": {"shape": "Thing"},
            },
            "payload": "Thing",
        },
        "PutRawInput": {
            "type": "structure",
            "required": ["Id"],
            "members": {
                "Id": {"shape": "Name", "location": "uri", "locationName": "Id"},
                "Text": {"shape": "Name"},
            },
            "payload": "Text",
        },
        "Thing": {
            "type": "structure",
            "members": {"Size": {"shape": "Count"}, "At": {"shape": "Time"}, "Data": {"shape": "Data"}},
        },
        "Name": {"type": "string"},
        "Names": {"type": "list", "member": {"shape": "Name"}},
        "Numbers": {"type": "list", "member": {"shape": "Count"}},
        "Count": {"type": "integer"},
        "Flag": {"type": "boolean"},
        "Time": {"type": "timestamp"},
        "Data": {"type": "blob"},
        "JsonDoc": {"type": "string", "jsonvalue": True},
        "Meta": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Name"}},
    },
}

SERVICE = ServiceModel(MODEL, service_name="synthetic")
PARSER = ServiceParser(SERVICE)


def _parse(operation: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    request = client_request("rest-json", SERVICE.operation_model(operation), params)
    parsed = PARSER.parse(request)
    return parsed.operation.name, parsed.params


def test_greedy_label_keeps_its_slashes_and_plain_labels_their_encoded_ones() -> None:
    name, params = _parse("GetObject", {"Bucket": "a/b c", "Key": "dir/sub dir/file%.txt"})
    assert (name, params) == ("GetObject", {"Bucket": "a/b c", "Key": "dir/sub dir/file%.txt"})


def test_query_literal_selects_the_more_specific_route() -> None:
    assert _parse("GetObjectVersions", {"Bucket": "b", "Key": "k/x"}) == (
        "GetObjectVersions",
        {"Bucket": "b", "Key": "k/x"},
    )
    assert _parse("GetObject", {"Bucket": "b", "Key": "k/x"})[0] == "GetObject"


def test_trailing_path_segments_route_apart() -> None:
    assert _parse("ListObjects", {"Bucket": "b", "Limit": 3}) == ("ListObjects", {"Bucket": "b", "Limit": 3})


def test_headers_lists_maps_timestamps_and_json_values() -> None:
    params = {
        "Bucket": "b",
        "Key": "k",
        "Tags": ["plain", "with, comma", 'with "quotes"'],
        "Counts": [1, -2, 3],
        "Since": datetime(2024, 2, 29, 12, 30, 5, tzinfo=UTC),
        "Until": datetime(2024, 2, 29, 12, 30, 6, tzinfo=UTC),
        "Meta": {"owner": "me", "colour": "blue"},
        "Doc": {"a": [1, 2, {"b": None}]},
        "Flag": False,
        "Filter": {"prefix": "x", "state": "on"},
        "Versions": [4, 5],
        "When": datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
    }
    assert _parse("GetObject", params) == ("GetObject", params)


def test_structure_payload_is_the_json_body_and_string_payload_the_raw_body() -> None:
    thing = {"Size": 1, "At": datetime(2020, 1, 1, tzinfo=UTC), "Data": b"\x00\xff"}
    assert _parse("PutThing", {"Id": "i", "Thing": thing}) == ("PutThing", {"Id": "i", "Thing": thing})
    assert _parse("PutThing", {"Id": "i"}) == ("PutThing", {"Id": "i"})
    assert _parse("PutRaw", {"Id": "i", "Text": "héllo"}) == ("PutRaw", {"Id": "i", "Text": "héllo"})


def test_a_path_without_a_route_is_an_unknown_operation_404() -> None:
    with pytest.raises(UnknownOperationException) as caught:
        PARSER.parse(HttpRequest("GET", "/nowhere"))
    assert caught.value.status == 404
    with pytest.raises(UnknownOperationException):
        PARSER.parse(HttpRequest("DELETE", "/buckets/b/objects"))


def test_a_missing_trailing_slash_still_routes() -> None:
    # botocore sends Lambda's ListFunctions as `/2015-03-31/functions/`; curl users often drop the slash.
    from overcast.api.protocols.parse import parse_request

    assert parse_request("lambda", HttpRequest("GET", "/2015-03-31/functions")).operation.name == "ListFunctions"
    assert parse_request("lambda", HttpRequest("GET", "/2015-03-31/functions/")).operation.name == "ListFunctions"


@pytest.mark.parametrize("operation", sorted(MODEL["operations"]))
def test_synthetic_roundtrip(operation: str) -> None:
    model = SERVICE.operation_model(operation)

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(value_for_shape(model.input_shape))
    def roundtrip(params: dict[str, Any]) -> None:
        name, parsed = _parse(operation, params)
        assert name == operation
        expected = {
            k: v
            for k, v in params.items()
            if v not in ([], {}) or k not in ("Tags", "Counts", "Meta", "Filter", "Versions")
        }
        if operation == "PutThing" and expected.get("Thing") == {}:
            del expected["Thing"]
        if operation == "PutRaw" and expected.get("Text") == "":
            del expected["Text"]
        assert parsed == expected

    roundtrip()
