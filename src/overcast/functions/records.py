"""Records of the Lambda control plane: function versions, their code and configuration, aliases, layers.

Records are frozen; change them with `dataclasses.replace`. A FunctionConfig is stored as JSON
(`config_to_json` / `config_from_json`); the wire shapes live in `api/services/lambda_*.py`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from overcast.functions.names import function_arn, layer_arn

LATEST = "$LATEST"


def code_sha256(sha256_hex: str) -> str:
    """Lambda reports CodeSha256 as the base64 of the SHA-256 digest of the zip."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()


@dataclass(frozen=True, slots=True)
class CodeRef:
    """Where a version's code is: a zip stored by SHA-256, or (hot reload) a local directory."""

    sha256_hex: str  # of the zip; for a local directory, of its path text
    size: int  # CodeSize: bytes of the zip (0 for a local directory)
    unzipped_size: int
    local_dir: str | None = None

    @property
    def code_sha256(self) -> str:
        return code_sha256(self.sha256_hex)


@dataclass(frozen=True, slots=True)
class LayerRef:
    """A layer version attached to a function, as FunctionConfiguration.Layers reports it."""

    arn: str
    code_size: int
    unzipped_size: int
    sha256_hex: str  # the layer zip's, so the zip outlives a DeleteLayerVersion while functions use it


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    log_format: str = "Text"
    log_group: str = ""
    application_log_level: str | None = None
    system_log_level: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    """Everything a user sets on a function (CreateFunction / UpdateFunctionConfiguration)."""

    role: str
    runtime: str
    handler: str
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    layers: tuple[LayerRef, ...] = ()
    tracing_mode: str = "PassThrough"
    ephemeral_storage: int = 512
    logging: LoggingConfig = LoggingConfig()
    dead_letter_target: str | None = None
    kms_key_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    package_type: str = "Zip"


@dataclass(frozen=True, slots=True)
class FunctionVersion:
    """One version of a function: $LATEST (mutable through updates) or a published number."""

    account: str
    region: str
    name: str
    version: str
    config: FunctionConfig
    code: CodeRef
    revision_id: str
    last_modified: float  # epoch seconds
    state: str = "Active"
    last_update_status: str = "Successful"

    @property
    def function_arn(self) -> str:
        """The unqualified ARN."""
        return function_arn(self.account, self.region, self.name)

    @property
    def arn(self) -> str:
        """FunctionArn as GetFunctionConfiguration reports it: unqualified for $LATEST, else `:N`."""
        return function_arn(self.account, self.region, self.name, None if self.version == LATEST else self.version)

    @property
    def unzipped_size_with_layers(self) -> int:
        return self.code.unzipped_size + sum(layer.unzipped_size for layer in self.config.layers)


@dataclass(frozen=True, slots=True)
class Alias:
    account: str
    region: str
    function_name: str
    name: str
    function_version: str
    description: str
    # AdditionalVersionWeights: {version: weight}.
    routing: dict[str, float]
    revision_id: str

    @property
    def arn(self) -> str:
        return function_arn(self.account, self.region, self.function_name, self.name)


@dataclass(frozen=True, slots=True)
class LayerVersion:
    account: str
    region: str
    name: str
    version: int
    description: str
    compatible_runtimes: tuple[str, ...]
    compatible_architectures: tuple[str, ...]
    license_info: str | None
    code: CodeRef
    created: float  # epoch seconds

    @property
    def layer_arn(self) -> str:
        return layer_arn(self.account, self.region, self.name)

    @property
    def arn(self) -> str:
        return layer_arn(self.account, self.region, self.name, self.version)


@dataclass(frozen=True, slots=True)
class AccountUsage:
    total_code_size: int
    function_count: int


# --- store encoding ------------------------------------------------------------------------------------


def config_to_json(config: FunctionConfig) -> str:
    return json.dumps(asdict(config), sort_keys=True, separators=(",", ":"))


def config_from_json(text: str) -> FunctionConfig:
    data: dict[str, Any] = json.loads(text)
    data["architectures"] = tuple(data["architectures"])
    data["layers"] = tuple(LayerRef(**layer) for layer in data["layers"])
    data["logging"] = LoggingConfig(**data["logging"])
    data["subnet_ids"] = tuple(data["subnet_ids"])
    data["security_group_ids"] = tuple(data["security_group_ids"])
    return FunctionConfig(**data)
