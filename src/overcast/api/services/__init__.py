"""Operation tables: for each AWS service, `{operation name: async handler}`.

A handler takes the request context and the parsed parameters (botocore member names: exactly
what a boto3 client call took) and returns the output dict (botocore member names: exactly what
a boto3 client call returns, without ResponseMetadata), or raises an AwsError. Each module here
builds its table from the domain services it is given, e.g. `lambda_.operations(functions)`;
`server.py` assembles them. An operation missing from a table answers AWS-shaped 501.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from overcast.context import RequestContext

Params = dict[str, Any]
Output = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Output]]
OperationTable = dict[str, Handler]
