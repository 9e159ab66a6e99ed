"""The CBOR codec (RFC 8949): round trips, the RFC's own examples, indefinite lengths, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.api.protocols import cbor

_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, database=None)
@given(_values)
def test_encode_then_decode_is_identity(value: Any) -> None:
    assert cbor.decode(cbor.encode(value)) == value


@pytest.mark.parametrize(
    ("hex_bytes", "value"),
    [  # https://www.rfc-editor.org/rfc/rfc8949.html#name-examples-of-encoded-cbor-da
        ("00", 0),
        ("17", 23),
        ("1818", 24),
        ("1903e8", 1000),
        ("1b000000e8d4a51000", 1000000000000),
        ("c249010000000000000000", 18446744073709551616),
        ("3863", -100),
        ("f90000", 0.0),
        ("f93c00", 1.0),
        ("f97bff", 65504.0),
        ("fa47c35000", 100000.0),
        ("fb3ff199999999999a", 1.1),
        ("f97c00", float("inf")),
        ("f4", False),
        ("f5", True),
        ("f6", None),
        ("4401020304", b"\x01\x02\x03\x04"),
        ("6449455446", "IETF"),
        ("62c3bc", "\u00fc"),
        ("83010203", [1, 2, 3]),
        ("a201020304", {1: 2, 3: 4}),
        ("c11a514b67b0", datetime(2013, 3, 21, 20, 4, tzinfo=UTC)),
        ("c1fb41d452d9ec200000", datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=UTC)),
        ("5f42010243030405ff", b"\x01\x02\x03\x04\x05"),
        ("7f657374726561646d696e67ff", "streaming"),
        ("9f018202039f0405ffff", [1, [2, 3], [4, 5]]),
        ("bf61610161629f0203ffff", {"a": 1, "b": [2, 3]}),
    ],
)
def test_rfc_examples_decode(hex_bytes: str, value: Any) -> None:
    assert cbor.decode(bytes.fromhex(hex_bytes)) == value


def test_timestamps_encode_as_tag_1() -> None:
    assert cbor.encode(datetime(2013, 3, 21, 20, 4, tzinfo=UTC)).hex() == "c11a514b67b0"
    half = datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=UTC)
    assert cbor.decode(cbor.encode(half)) == half


@pytest.mark.parametrize("hex_bytes", ["", "bf61", "830102", "ff", "0000", "1c", "c1" + "6161"])
def test_malformed_input_raises_a_decode_error(hex_bytes: str) -> None:
    with pytest.raises(cbor.CborDecodeError):
        cbor.decode(bytes.fromhex(hex_bytes))
