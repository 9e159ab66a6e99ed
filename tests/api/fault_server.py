"""Overcast with injected faults, for the error boundary tests: `python fault_server.py up --port 0 --data-dir DIR`.

It runs the real server as `overcast up` does (same settings, same composition root, same HTTP
server) and, through `serve`'s `prepare` hook, plants one fault per surface before it serves:

- AWS APIs: test-only operation table entries that raise, return output their protocol's serializer
  cannot write, or headers that HTTP cannot carry — one per protocol (json 1.0 and 1.1, rest-json,
  query, smithy-rpc-v2-cbor) — and an invoker behind Lambda's Invoke fast path that raises;
- execute-api: integrations whose HTTP proxying raises (Lambda proxy integrations work as usual);
- `/_overcast/fault/...`: an internal route that raises.

Everything else is the real server: tests check it keeps answering after each fault.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

from overcast.api.services.lambda_invoke import InvokePath
from overcast.config import load_settings
from overcast.context import RequestContext
from overcast.server import Overcast, run

FAULT = "injected fault"


async def raising(ctx: RequestContext, params: dict[str, Any]) -> NoReturn:
    raise RuntimeError(FAULT)


async def unserializable(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"destinations": [object()]}  # a list of structures given an object: the serializer fails on it


async def unencodable_header(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Content-Disposition is an HTTP header: "€" is no Latin-1 character, so it cannot be sent.
    return {"contentType": "application/zip", "contentDisposition": 'attachment; filename="sdk-€.zip"', "body": b""}


async def header_with_a_line_break(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # The HTTP server itself refuses this one, once it has marked the response started.
    return {"contentType": "application/json", "contentDisposition": "attachment\r\nx-injected: 1", "body": b"{}"}


class RaisingInvoker:
    """In the place of InvokeService behind the Invoke fast path: every invocation fails unexpectedly."""

    async def invoke(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(FAULT)


class RaisingForwarder:
    """The gateway's integrations, except that proxying to an HTTP backend fails unexpectedly."""

    def __init__(self, integrations: Any) -> None:
        self._integrations = integrations

    async def forward(self, *args: Any) -> NoReturn:
        raise RuntimeError(FAULT)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._integrations, name)


async def raising_route(rest: str) -> NoReturn:
    raise RuntimeError(FAULT)


def plant(system: Overcast) -> None:
    tables = system.tables
    tables["stepfunctions"]["ListActivities"] = raising  # json 1.0
    tables["logs"]["DescribeDestinations"] = unserializable  # json 1.1
    tables["lambda"]["ListLayers"] = raising  # rest-json
    tables["apigateway"]["GetSdk"] = unencodable_header  # rest-json, header bound members
    tables["apigateway"]["GetExport"] = header_with_a_line_break
    tables["sts"]["GetSessionToken"] = raising  # query
    tables["cloudwatch"] = {"ListMetrics": raising}  # smithy-rpc-v2-cbor
    assert system.edge is not None and system.gateway is not None
    settings = system.settings
    invoke_path = InvokePath(RaisingInvoker(), settings.default_account, settings.default_region)  # type: ignore[arg-type]
    system.edge.invoke_path = invoke_path.answer
    system.edge.routes["fault"] = raising_route
    system.gateway.integrations = RaisingForwarder(system.gateway.integrations)  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    assert argv[:3] == ["up", "--port", "0"] and argv[3] == "--data-dir", argv
    settings = load_settings(flags={"port": 0, "data_dir": Path(argv[4])})
    logging.basicConfig(level=logging.WARNING)  # as `overcast up`: Overcast's log on stderr
    run(settings, on_ready=lambda url: print(f"Overcast ready on {url}", flush=True), prepare=plant)


if __name__ == "__main__":
    main(sys.argv[1:])
