"""Users: the unprivileged uid/gid each function runs as, derived from the function's identity.

No passwd entries are created: the kernel needs only numbers. Uids live in a reserved range far
above login users and the usual subordinate-id ranges, so two functions never share one (short of
a 1 in 16 million hash collision) and no function shares a uid with anything on the host.
"""

from __future__ import annotations

import hashlib

UID_BASE = 0x4000_0000  # 1073741824
UID_SPAN = 1 << 24


def function_uid(account_id: str, region: str, function_name: str) -> int:
    digest = hashlib.sha256(f"{account_id}:{region}:{function_name}".encode()).digest()
    return UID_BASE + int.from_bytes(digest[:4], "big") % UID_SPAN
