"""Runtime SDKs: the AWS SDKs AWS's runtimes ship, which instances see read-only at /var/runtime.

AWS's Python runtimes include boto3 and botocore, and its nodejs18.x and later runtimes the AWS SDK for
JavaScript v3, in the runtime's own directory rather than in the function's package
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html#python-sdk-included,
https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html#nodejs-sdk-included). `make install`
installs them, pinned (functions/runtime/sdk/), under `.venv/lambda-sdk/`:
- `python/`: boto3 for python3.10 and later, importable by each (pure-Python wheels);
- `python3.9/`: the newest boto3 that still runs on 3.9;
- `nodejs/node_modules/`: the @aws-sdk/* clients (none when the host had no npm at install time).
The directory of an instance's runtime is bound read-only at /var/runtime (sandbox/mounts.py), the
Python runtime puts it on sys.path after /var/task and the layers, and Node finds it on NODE_PATH after the
function's own node_modules: a function's own packaged SDK wins, as on AWS. Nothing is imported before a
function imports it, so the warm zygote (and every cold start) stays as light as before.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from overcast.functions.sandbox.interpreters import interpreters

# Where `make install` puts them: inside the virtualenv Overcast runs from.
INSTALLED = Path(sys.prefix) / "lambda-sdk"
# The first nodejs runtime whose SDK is v3 (nodejs16.x and earlier shipped v2, which Overcast does not run).
FIRST_NODE_V3 = 18


@dataclass(frozen=True, slots=True)
class RuntimeSdks:
    """The SDK directories installed on this host, by the runtime they serve; found once, when Overcast starts."""

    python: Path | None = None
    python39: Path | None = None
    nodejs: Path | None = None

    @classmethod
    def find(cls, root: Path = INSTALLED) -> RuntimeSdks:
        def present(path: Path) -> Path | None:
            return path.resolve() if path.is_dir() else None

        return cls(present(root / "python"), present(root / "python3.9"), present(root / "nodejs" / "node_modules"))

    def directory(self, runtime: str) -> Path | None:
        """The host directory an instance of `runtime` sees at /var/runtime, or None (no SDK for it here)."""
        if runtime == "python3.9":
            return self.python39
        if runtime.startswith("python3."):
            return self.python
        if runtime.startswith("nodejs"):
            major = runtime.removeprefix("nodejs").split(".")[0]
            # /var/runtime/node_modules is on NODE_PATH (runtime/custom.py): the directory above it is bound.
            v3 = major.isdigit() and int(major) >= FIRST_NODE_V3
            return self.nodejs.parent if self.nodejs is not None and v3 else None
        return None


def compile_bytecode(root: Path, interpreters: dict[str, Path]) -> None:
    """Write each interpreter's bytecode for the Python SDKs at install time: the directory is read-only to
    instances, which could not cache it, and compiling botocore at each cold start would cost seconds."""
    for version, interpreter in sorted(interpreters.items()):
        # python3.9's SDK also runs on a newer interpreter (nearest_python); python's needs 3.10+.
        targets = [root / "python3.9"] + ([root / "python"] if version != "3.9" else [])
        for target in targets:
            if target.is_dir():
                subprocess.run([str(interpreter), "-m", "compileall", "-q", "-j", "0", str(target)], check=True)


def main() -> None:
    """`python -m overcast.functions.sandbox.sdks ROOT`: compile ROOT's Python SDKs for each host interpreter."""
    compile_bytecode(Path(sys.argv[1]), interpreters())


if __name__ == "__main__":
    main()
