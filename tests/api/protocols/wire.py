"""Requests exactly as a botocore client puts them on the wire, as Overcast's HttpRequest."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel
from botocore.serialize import create_serializer

from overcast.api.protocols.http import HttpRequest

ENDPOINT = "http://localhost:4566"


def client_request(protocol: str, operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    """What `boto3.client(...).<op>(**params)` sends with `protocol`: botocore's serializer (with its
    own parameter validation), then the same request-dict preparation the client does in
    `BaseClient._convert_to_request_dict` (URL and query string assembly, header encoding)."""
    serializer = create_serializer(protocol, include_validation=True)
    request_dict = serializer.serialize_to_request(params, operation)
    request_dict.pop("host_prefix", None)  # the host prefix goes to the host name, not the request
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    headers = {}
    for name, value in prepared.headers.items():
        text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        headers[name.lower()] = text
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    return HttpRequest(method=prepared.method, path=url.path, query_string=url.query, headers=headers, body=body)
