"""The artifact bucket of a running Overcast, seen from the CLI: HEAD to ask, PUT to upload (overcast.artifacts)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from overcast.deploy.build import BuildFailed


@dataclass(frozen=True)
class ArtifactBucket:
    """`/_overcast/artifacts/<sha256>` of the Overcast at `endpoint_url`."""

    endpoint_url: str
    timeout: float = 120.0

    def _url(self, sha256_hex: str) -> str:
        return f"{self.endpoint_url.rstrip('/')}/_overcast/artifacts/{sha256_hex}"

    def has(self, sha256_hex: str) -> bool:
        return httpx.head(self._url(sha256_hex), timeout=self.timeout).status_code == 200

    def put(self, sha256_hex: str, data: bytes) -> str:
        answer = httpx.put(self._url(sha256_hex), content=data, timeout=self.timeout)
        if answer.status_code != 200:
            try:
                error = answer.json().get("error", answer.text)
            except ValueError:
                error = answer.text
            raise BuildFailed(f"Overcast refused the package {sha256_hex}.zip ({answer.status_code}): {error}")
        return str(answer.json()["key"])
