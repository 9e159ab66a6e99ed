"""The lean channel's frames: the two of every warm invoke, from templates, read back as the generic encoding."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.functions.runtime.python import frames

ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"
@pytest.mark.parametrize(
    ("request_id", "arn", "trace_id", "client_context", "cognito"),
    [
        ("8c2f1c6e-0000-4000-8000-000000000000", f"{ARN}:$LATEST", None, None, None),
        ("8c2f1c6e", ARN, "Root=1-abc;Sampled=1", "e30=", '{"a":1}'),
        ('quote"and\\backslash', "ärn\n", None, None, None),  # values that need escaping: the encoder writes them
    ],
)
def test_an_invocation_frame_reads_back_as_the_generic_encoding_would(
    request_id: str, arn: str, trace_id: str | None, client_context: str | None, cognito: str | None
) -> None:
    frame = frames.encode_invoke(request_id, 1_767_225_600_000, arn, trace_id, client_context, cognito, b'{"x":1}')
    header = {
        "op": "invoke",
        "request_id": request_id,
        "deadline_ms": 1_767_225_600_000,
        "invoked_function_arn": arn,
        "trace_id": trace_id,
        "client_context": client_context,
        "cognito_identity": cognito,
    }
    assert read_back(frame) == (header, b'{"x":1}')


@pytest.mark.parametrize(
    ("error_type", "log"), [(None, []), (None, [[1, "a line"]]), ("Runtime.HandlerNotFound", [[2, 'q"uote']])]
)
def test_a_result_frame_reads_back_as_the_generic_encoding_would(error_type: str | None, log: list[Any]) -> None:
    frame = frames.encode_result(error_type, log, 41_234_432, b"{}")
    header = {"op": "result", "error_type": error_type, "log": log, "maxrss": 41_234_432}
    assert read_back(frame) == (header, b"{}")


def read_back(frame: bytes) -> tuple[dict[str, Any], bytes]:
    head_len, body_len = frames.decode_prefix(frame[: frames.PREFIX.size])
    head_end = frames.PREFIX.size + head_len
    assert len(frame) == head_end + body_len
    return frames.decode_header(frame[frames.PREFIX.size : head_end]), frame[head_end:]
