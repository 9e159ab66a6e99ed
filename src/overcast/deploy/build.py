"""Building a function's or layer's code as `sam build` does, into a staging directory that is then zipped.

How a build runs is chosen as sam chooses it: the resource's `Metadata: BuildMethod` (`makefile`,
`esbuild`, or a runtime name for layers), else the runtime's own way:

- Python: the code, with `requirements.txt` installed by pip for the runtime's Python version and
  Lambda's platform (`--python-version`, `--platform manylinux2014_<arch>`, `--only-binary=:all:`),
  cached by the hash of the requirements, the runtime and the architecture;
- Node.js: the code, with `package.json`'s dependencies installed by npm (`npm install --omit=dev`), cached
  by the hash of package.json, its lock file, the runtime and the architecture (no npm at all for a
  package.json whose dependencies are only devDependencies, which --omit=dev leaves out);
- esbuild: the entry points bundled by esbuild (the project's own, else a pinned one from the npm
  registry, installed once in the cache), with the BuildProperties sam reads;
- makefile: `make build-<LogicalId>` in a scratch copy of the code, with ARTIFACTS_DIR the staging dir;
- provided runtimes: the code as it is, with its prebuilt `bootstrap` kept executable.

Runtimes Overcast cannot run (Java, .NET, Ruby) are refused here, naming the resource, before anything
is uploaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overcast.deploy.archive import SKIPPED_DIRS

ESBUILD_VERSION = "0.28.2"  # the esbuild Overcast installs when a project has none of its own
REFUSED_RUNTIMES = ("java", "dotnet", "ruby")
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


class BuildFailed(Exception):
    """A build that could not be done; the message names the resource and what to do."""


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """What one resource's build needs: its code's directory and how to build it."""

    logical_id: str
    source: Path
    runtime: str | None = None
    method: str | None = None  # Metadata BuildMethod, as written
    properties: Mapping[str, Any] = field(default_factory=dict)  # Metadata BuildProperties
    architecture: str = "x86_64"
    layer: bool = False  # a layer's Python or Node.js build goes under python/ or nodejs/, as sam puts it

    def fingerprint(self) -> str:
        """Equal for builds that make the same package (sam builds such functions once)."""
        text = json.dumps(
            [
                str(self.source.resolve()),
                self.runtime,
                self.method,
                dict(self.properties),
                self.architecture,
                self.layer,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Builder:
    """Runs builds. `cache` keeps installed Python dependencies and the pinned esbuild between deploys;
    `python` is the interpreter whose pip installs; `environment` is what the build tools run with (the
    CLI's own); `say` reports what takes time."""

    cache: Path
    python: str
    environment: Mapping[str, str]
    say: Callable[[str], None] = lambda _message: None

    def build(self, spec: BuildSpec, into: Path) -> None:
        """Build `spec` into the empty directory `into`."""
        runtime = spec.runtime or ""
        if runtime.startswith(REFUSED_RUNTIMES):
            raise BuildFailed(
                f"{spec.logical_id}: runtime {runtime} is not supported by Overcast (it runs Python, Node.js and "
                "provided runtimes); change the function's Runtime or leave it out of the template."
            )
        if not spec.source.is_dir():
            raise BuildFailed(f"{spec.logical_id}: its code location {spec.source} is not a directory.")
        method = (spec.method or "").lower()
        if method == "makefile":
            self._makefile(spec, into)
        elif method == "esbuild":
            self._esbuild(spec, into)
        elif method.startswith("python") or (not method and runtime.startswith("python")):
            self._python(spec, into / "python" if spec.layer else into, method or runtime)
        elif method.startswith("nodejs") or (not method and runtime.startswith("nodejs")):
            self._node(spec, into / "nodejs" if spec.layer else into)
        else:
            copy_tree(spec.source, into)
            if runtime.startswith("provided"):
                bootstrap = into / "bootstrap"
                if not bootstrap.is_file():
                    raise BuildFailed(
                        f"{spec.logical_id}: runtime {runtime} needs an executable named bootstrap at the top of "
                        f"its code ({spec.source}); build it first, or use Metadata BuildMethod: makefile."
                    )
                bootstrap.chmod(0o755)

    def _python(self, spec: BuildSpec, into: Path, runtime: str) -> None:
        requirements = spec.source / "requirements.txt"
        text = requirements.read_text() if requirements.is_file() else ""
        if _meaningful(text):
            copy_tree(self._python_dependencies(spec, requirements, text, runtime), into)
        copy_tree(spec.source, into)

    def _python_dependencies(self, spec: BuildSpec, requirements: Path, text: str, runtime: str) -> Path:
        """The installed requirements for the runtime's Python, from the cache or installed into it now."""
        version = runtime.removeprefix("python")
        platform = PLATFORMS.get(spec.architecture, PLATFORMS["x86_64"])
        key = hashlib.sha256(f"{text}\0{runtime}\0{platform}".encode()).hexdigest()[:32]
        done = self.cache / "python" / key
        if done.is_dir():
            return done
        self.say(f"{spec.logical_id}: installing requirements.txt for {runtime} ({platform})")
        done.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=done.parent, prefix=f".{key}-"))
        try:
            self._run(
                spec,
                [
                    self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                    "-r", str(requirements), "--target", str(staging), "--python-version", version,
                    "--implementation", "cp", "--platform", platform, "--only-binary=:all:",
                ],
                cwd=spec.source,
                what="pip install -r requirements.txt",
            )  # fmt: skip
            os.replace(staging, done)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return done

    def _node(self, spec: BuildSpec, into: Path) -> None:
        copy_tree(spec.source, into, skip=("node_modules",))
        self._npm_install(spec, into)

    def _npm_install(self, spec: BuildSpec, where: Path) -> None:
        """`where`'s package.json dependencies installed into `where/node_modules`, from the cache when an
        install of the same package.json and lock file for the same runtime and architecture was made."""
        package = _package_json(where)
        if not any(package.get(name) for name in INSTALLED_DEPENDENCIES):
            return  # nothing for --omit=dev to install
        key = _node_key(where, spec)
        done = self.cache / "node" / key if key is not None else None
        if done is None or not done.is_dir():
            command = ["npm", "ci"] if (where / "package-lock.json").is_file() else ["npm", "install"]
            self.say(f"{spec.logical_id}: {' '.join(command)} --omit=dev")
            self._run(spec, [*command, "--omit=dev", "--no-audit", "--no-fund"], cwd=where, what=" ".join(command))
            if done is not None:
                _keep(where, done)
            return
        shutil.copytree(done, where, symlinks=True, dirs_exist_ok=True)

    def _esbuild(self, spec: BuildSpec, into: Path) -> None:
        props = spec.properties
        entries = props.get("EntryPoints") or []
        if not entries:
            raise BuildFailed(f"{spec.logical_id}: BuildMethod esbuild needs BuildProperties EntryPoints.")
        with tempfile.TemporaryDirectory(prefix="overcast-esbuild-") as scratch:
            work = Path(scratch)
            copy_tree(spec.source, work, skip=("node_modules",))
            package = _package_json(work)
            if package.get("dependencies"):
                self._npm_install(spec, work)
            command = [
                self._esbuild_binary(spec), *(str(entry) for entry in entries), "--bundle", "--platform=node",
                f"--outdir={into}", f"--target={props.get('Target', 'es2020')}",
            ]  # fmt: skip
            command += _esbuild_options(props)
            self.say(f"{spec.logical_id}: esbuild {' '.join(str(e) for e in entries)}")
            self._run(spec, command, cwd=work, what="esbuild")

    def _esbuild_binary(self, spec: BuildSpec) -> str:
        own = spec.source / "node_modules" / ".bin" / "esbuild"
        if own.is_file():
            return str(own)
        prefix = self.cache / f"esbuild-{ESBUILD_VERSION}"
        binary = prefix / "node_modules" / ".bin" / "esbuild"
        if not binary.is_file():
            self.say(f"installing esbuild {ESBUILD_VERSION} from the npm registry (once)")
            prefix.mkdir(parents=True, exist_ok=True)
            self._run(
                spec,
                ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", f"esbuild@{ESBUILD_VERSION}"],
                cwd=prefix,
                what=f"npm install esbuild@{ESBUILD_VERSION}",
            )
        return str(binary)

    def _makefile(self, spec: BuildSpec, into: Path) -> None:
        makefile = spec.source / "Makefile"
        if not makefile.is_file():
            raise BuildFailed(f"{spec.logical_id}: BuildMethod makefile needs a Makefile in {spec.source}.")
        with tempfile.TemporaryDirectory(prefix="overcast-make-") as scratch:
            copy_tree(spec.source, Path(scratch))
            self.say(f"{spec.logical_id}: make build-{spec.logical_id}")
            self._run(
                spec,
                ["make", "--makefile", str(Path(scratch) / "Makefile"), f"build-{spec.logical_id}"],
                cwd=Path(scratch),
                what=f"make build-{spec.logical_id}",
                env={"ARTIFACTS_DIR": str(into)},
            )

    def _run(
        self, spec: BuildSpec, command: Sequence[str], *, cwd: Path, what: str, env: Mapping[str, str] | None = None
    ) -> None:
        try:
            done = subprocess.run(
                list(command), cwd=cwd, capture_output=True, text=True, env={**self.environment, **(env or {})}
            )
        except FileNotFoundError:
            raise BuildFailed(f"{spec.logical_id}: {what} needs {command[0]}, which is not on PATH.") from None
        if done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip())[-2000:]
            raise BuildFailed(f"{spec.logical_id}: {what} failed (exit {done.returncode}):\n{output}")


def copy_tree(source: Path, into: Path, skip: Sequence[str] = ()) -> None:
    """Copy the files under `source` into `into` (merged with what is there), following symlinks."""
    ignored = set(SKIPPED_DIRS) | set(skip)
    shutil.copytree(
        source, into, dirs_exist_ok=True, symlinks=False, ignore=lambda _d, names: [n for n in names if n in ignored]
    )


INSTALLED_DEPENDENCIES = ("dependencies", "optionalDependencies", "bundleDependencies", "bundledDependencies")


def _node_key(where: Path, spec: BuildSpec) -> str | None:
    """The cache key of an npm install: package.json, its lock file, each local tarball it names (by content),
    the runtime and architecture; None when it names a local directory (its content is not in the key)."""
    parts = [(where / "package.json").read_text()]
    lock = where / "package-lock.json"
    parts.append(lock.read_text() if lock.is_file() else "")
    package = _package_json(where)
    for name in INSTALLED_DEPENDENCIES:
        specs = package.get(name)
        for given in specs.values() if isinstance(specs, dict) else ():
            if isinstance(given, str) and given.startswith(("file:", "link:")):
                local = (spec.source / given.split(":", 1)[1]).resolve()
                if not local.is_file():
                    return None
                parts.append(hashlib.sha256(local.read_bytes()).hexdigest())
    parts += [str(spec.runtime), spec.architecture]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _keep(where: Path, done: Path) -> None:
    """Store what an npm install made in `where` (node_modules, and the lock file npm wrote) as the cache entry
    `done`, so a build from the cache is the same bytes (written aside, then renamed into place)."""
    done.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=done.parent, prefix=f".{done.name}-"))
    try:
        if (where / "node_modules").is_dir():
            shutil.copytree(where / "node_modules", staging / "node_modules", symlinks=True)
        if (where / "package-lock.json").is_file():
            shutil.copy2(where / "package-lock.json", staging / "package-lock.json")
        os.replace(staging, done)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another deploy stored it first, or no room: not cached


def _meaningful(requirements: str) -> bool:
    """Whether a requirements file asks for anything (not only comments and blank lines)."""
    return any(line.strip() and not line.strip().startswith("#") for line in requirements.splitlines())


def _package_json(where: Path) -> dict[str, Any]:
    path = where / "package.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else {}


def _esbuild_options(props: Mapping[str, Any]) -> list[str]:
    """The esbuild flags sam derives from BuildProperties (Minify, Sourcemap, Format, External...)."""
    options: list[str] = []
    if props.get("Minify") in (True, "true", "True"):
        options.append("--minify")
    if props.get("Sourcemap") in (True, "true", "True"):
        options.append("--sourcemap")
    if props.get("Format"):
        options.append(f"--format={props['Format']}")
    for name in props.get("External") or []:
        options.append(f"--external:{name}")
    for item in props.get("OutExtension") or []:
        options.append(f"--out-extension:{item}")
    for item in props.get("Loader") or []:
        options.append(f"--loader:{item}")
    if props.get("MainFields"):
        options.append(f"--main-fields={props['MainFields']}")
    for name in props.get("Banner") or []:
        options.append(f"--banner:{name}")
    return options
