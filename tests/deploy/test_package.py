"""Packaging as `sam build` would: a Python function with its requirements installed for the runtime's
Python (and cached), a Node.js function with npm, a makefile build, a prebuilt bootstrap kept executable,
zips that are the same bytes for the same files, and the template rewritten to name the uploads."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from overcast.artifacts import Artifacts
from overcast.deploy.archive import zip_tree
from overcast.deploy.build import Builder, BuildFailed
from overcast.deploy.package import code_sites, package, read_template

needs_npm = pytest.mark.skipif(
    not any((Path(p) / "npm").is_file() for p in os.environ["PATH"].split(os.pathsep)), reason="npm is not installed"
)


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "cache", sys.executable, dict(os.environ))


@pytest.fixture
def bucket(tmp_path: Path) -> Artifacts:
    return Artifacts(tmp_path / "bucket")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def entries(bucket: Artifacts, key: str) -> dict[str, zipfile.ZipInfo]:
    data = bucket.read(key)
    assert data is not None
    return {info.filename: info for info in zipfile.ZipFile(io.BytesIO(data)).infolist()}


def wheel(into: Path, name: str = "tinylib", version: str = "1.0") -> Path:
    """A pure-Python wheel, written by hand (no build backend, no network)."""
    into.mkdir(parents=True, exist_ok=True)
    path = into / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "VALUE = 'from the wheel'\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{n},,\n" for n in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as archive:
        for n, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(n, text)
    return path


NODE_GLOBALS = "Globals:\n  Function:\n    Runtime: nodejs22.x\n"
FLOW = '{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "${Fn}", "End": true}}}'


def template(resources: str, globals_: str = "") -> str:
    return f"Transform: AWS::Serverless-2016-10-31\n{globals_}Resources:\n{resources}"


def test_a_python_function_gets_its_requirements_for_its_runtime_and_they_are_cached(
    tmp_path: Path, builder: Builder, bucket: Artifacts
) -> None:
    wheels = wheel(tmp_path / "wheels").parent
    app = write(tmp_path / "app", {
        "template.yaml": template("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
                                  "      Handler: app.handler\n      Runtime: python3.13\n"),
        "src/app.py": "import tinylib\ndef handler(event, context):\n    return tinylib.VALUE\n",
        "src/requirements.txt": f"--no-index\n--find-links {wheels}\ntinylib==1.0\n",
    })  # fmt: skip
    said: list[str] = []
    builder = Builder(tmp_path / "cache", sys.executable, dict(os.environ), said.append)
    first = package(read_template(app / "template.yaml"), app, builder, bucket)
    (upload,) = first.uploads
    assert upload.sent
    files = entries(bucket, upload.key)
    assert {"app.py", "requirements.txt", "tinylib/__init__.py"} <= set(files)
    assert any(name.startswith("tinylib-1.0.dist-info/") for name in files)
    code = first.template["Resources"]["Fn"]["Properties"]["CodeUri"]
    assert code == {"Bucket": "overcast-artifacts", "Key": upload.key}
    assert upload.key == f"{hashlib.sha256(bucket.read(upload.key) or b'').hexdigest()}.zip"
    assert any("installing requirements.txt for python3.13 (manylinux2014_x86_64)" in line for line in said)
    (cached,) = (tmp_path / "cache" / "python").iterdir()  # one install, keyed by requirements + runtime + platform

    said.clear()
    (wheels / "tinylib-1.0-py3-none-any.whl").unlink()  # a second deploy installs nothing: the cache serves it
    again = package(read_template(app / "template.yaml"), app, builder, bucket)
    assert again.uploads[0].key == upload.key and not again.uploads[0].sent  # the same bytes: no upload
    assert not any("installing" in line for line in said)
    assert list((tmp_path / "cache" / "python").iterdir()) == [cached]


def test_requirements_that_pip_cannot_meet_fail_naming_the_function(tmp_path: Path, builder: Builder) -> None:
    app = write(tmp_path / "app", {"app.py": "", "requirements.txt": "--no-index\nno-such-package-anywhere==1\n"})
    from overcast.deploy.build import BuildSpec

    with pytest.raises(BuildFailed, match=r"^Fn: pip install -r requirements.txt failed"):
        builder.build(BuildSpec("Fn", app, "python3.12"), tmp_path / "out")


@needs_npm
def test_a_node_function_is_packaged_with_npm(tmp_path: Path, builder: Builder, bucket: Artifacts) -> None:
    app = write(tmp_path / "app", {
        "template.yaml": template("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                                  "      CodeUri: hello/\n      Handler: app.handler\n", NODE_GLOBALS),
        "hello/app.mjs": "export const handler = async () => 'hi';\n",
        "hello/package.json": '{"name": "hello", "version": "1.0.0", "type": "module"}\n',
        "hello/node_modules/left-behind/index.js": "// a developer's local install, not packaged\n",
    })  # fmt: skip
    (upload,) = package(read_template(app / "template.yaml"), app, builder, bucket).uploads
    files = entries(bucket, upload.key)
    assert {"app.mjs", "package.json"} <= set(files)
    assert not any(name.startswith("node_modules/left-behind") for name in files)


def test_a_makefile_build_runs_build_logical_id_with_artifacts_dir(
    tmp_path: Path, builder: Builder, bucket: Artifacts
) -> None:
    app = write(tmp_path / "app", {
        "template.yaml": template("  MadeFn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                                  "      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n"
                                  "    Metadata:\n      BuildMethod: makefile\n"),
        "src/Makefile": "build-MadeFn:\n\tmkdir -p $(ARTIFACTS_DIR)/lib\n\tcp app.py $(ARTIFACTS_DIR)/\n"
                        "\techo made > $(ARTIFACTS_DIR)/lib/marker.txt\n",
        "src/app.py": "def handler(event, context):\n    return 'made'\n",
        "src/notes.md": "not copied: the Makefile decides what the package holds\n",
    })  # fmt: skip
    (upload,) = package(read_template(app / "template.yaml"), app, builder, bucket).uploads
    assert set(entries(bucket, upload.key)) == {"app.py", "lib/marker.txt"}
    assert not (app / "src" / "app.pyc").exists() and sorted(p.name for p in (app / "src").iterdir()) == [
        "Makefile",
        "app.py",
        "notes.md",
    ]  # fmt: skip - the build ran in a scratch copy


def test_a_prebuilt_bootstrap_stays_executable_in_the_zip(tmp_path: Path, builder: Builder, bucket: Artifacts) -> None:
    app = write(tmp_path / "app", {
        "template.yaml": template("  Native:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                                  "      CodeUri: out/\n      Handler: bootstrap\n      Runtime: provided.al2023\n"),
        "out/bootstrap": "#!/bin/sh\necho native\n",
        "out/data.txt": "plain file\n",
    })  # fmt: skip
    (app / "out" / "bootstrap").chmod(0o644)  # as a checkout on a file system without modes leaves it
    (upload,) = package(read_template(app / "template.yaml"), app, builder, bucket).uploads
    files = entries(bucket, upload.key)
    assert (files["bootstrap"].external_attr >> 16) & 0o777 == 0o755
    assert (files["data.txt"].external_attr >> 16) & 0o777 == 0o644

    (app / "out" / "bootstrap").unlink()
    with pytest.raises(BuildFailed, match=r"Native: runtime provided\.al2023 needs an executable named bootstrap"):
        package(read_template(app / "template.yaml"), app, builder, bucket)


def test_zips_are_the_same_bytes_for_the_same_files(tmp_path: Path) -> None:
    tree = write(tmp_path / "tree", {"b.py": "B = 1\n", "a/z.py": "Z = 1\n", "a/a.py": "A = 1\n"})
    first = zip_tree(tree)
    for path in tree.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # other times
    (tree / "__pycache__").mkdir()
    (tree / "__pycache__" / "b.cpython-313.pyc").write_bytes(b"\x00cache")  # left out
    assert zip_tree(tree) == first
    names = [info.filename for info in zipfile.ZipFile(io.BytesIO(first)).infolist()]
    assert names == ["a/a.py", "a/z.py", "b.py"]
    assert {info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    (tree / "b.py").write_text("B = 2\n")
    assert zip_tree(tree) != first


def test_the_template_names_the_uploads_and_inlines_local_definitions(
    tmp_path: Path, builder: Builder, bucket: Artifacts
) -> None:
    app = write(tmp_path / "app", {
        "template.yaml": template(
            "  One:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n"
            "  Two:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: b.h\n"
            "  Inline:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      InlineCode: 'x'\n      Handler: i.h\n"
            "  Remote:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: s3://bucket/key.zip\n"
            "  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n"
            "      Code: plain/\n      Runtime: python3.12\n"
            "  Shared:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: layer/\n"
            "    Metadata:\n      BuildMethod: python3.12\n"
            "  Machine:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
            "      DefinitionUri: statemachine/flow.asl.json\n"
            "      DefinitionSubstitutions:\n        Fn: !GetAtt One.Arn\n",
            "Globals:\n  Function:\n    CodeUri: src/\n    Runtime: python3.13\n",
        ),
        "src/a.py": "", "src/b.py": "", "plain/index.py": "", "layer/shared.py": "",
        "statemachine/flow.asl.json": FLOW,
    })  # fmt: skip
    body = read_template(app / "template.yaml")
    assert [site.logical_id for site in code_sites(body, app)] == ["One", "Two", "Plain", "Shared"]
    packaged = package(body, app, builder, bucket)
    resources = packaged.template["Resources"]
    by_id = {u.logical_id: u for u in packaged.uploads}
    assert by_id["One"].key == by_id["Two"].key and by_id["One"].sent and not by_id["Two"].sent  # built once
    assert resources["One"]["Properties"]["CodeUri"] == {"Bucket": "overcast-artifacts", "Key": by_id["One"].key}
    assert resources["Plain"]["Properties"]["Code"] == {"S3Bucket": "overcast-artifacts", "S3Key": by_id["Plain"].key}
    assert resources["Shared"]["Properties"]["ContentUri"]["Key"] == by_id["Shared"].key
    assert set(entries(bucket, by_id["Shared"].key)) == {"python/shared.py"}  # a Python layer's build, as sam's
    assert resources["Remote"]["Properties"]["CodeUri"] == "s3://bucket/key.zip"
    assert "CodeUri" not in resources["Inline"]["Properties"]
    assert "CodeUri" not in packaged.template["Globals"]["Function"]
    machine = resources["Machine"]["Properties"]
    assert "DefinitionUri" not in machine and machine["Definition"]["States"]["Call"]["Resource"] == "${Fn}"
    assert machine["DefinitionSubstitutions"] == {"Fn": {"Fn::GetAtt": ["One", "Arn"]}}


def test_runtimes_overcast_cannot_run_are_refused_naming_the_function(tmp_path: Path, builder: Builder) -> None:
    app = write(tmp_path / "app", {
        "template.yaml": template("  JavaFn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                                  "      CodeUri: src/\n      Handler: a::b\n      Runtime: java21\n"),
        "src/A.java": "",
    })  # fmt: skip
    with pytest.raises(BuildFailed, match=r"^JavaFn: runtime java21 is not supported by Overcast"):
        package(read_template(app / "template.yaml"), app, builder, Artifacts(tmp_path / "bucket"))


def test_a_runtime_the_server_runs_on_the_nearest_version_is_announced_once_naming_its_functions() -> None:
    from overcast.deploy.app import nearest_runtimes

    template = {
        "Globals": {"Function": {"Runtime": "python3.14"}},
        "Resources": {
            "A": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "B": {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.14"}},
            "C": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13"}},
            "D": {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "nodejs24.x"}},
        },
    }
    runtimes = {
        "python3.14": "nearest: python3.13 (/usr/bin/python3.13)",
        "python3.13": "/usr/bin/python3.13",
        "nodejs24.x": "node v24.19.0 (/opt/node)",
    }
    assert nearest_runtimes(template, runtimes) == [
        "python3.14 runs on python3.13, the nearest to python3.14 on this host (A, B)"
    ]
    assert nearest_runtimes(template, {}) == []


@needs_npm
def test_a_node_functions_dependencies_are_installed_once_then_served_from_the_cache(
    tmp_path: Path, bucket: Artifacts
) -> None:
    tarball = tmp_path / "tiny-1.0.0.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name, text in {
            "package/package.json": '{"name": "tiny", "version": "1.0.0", "main": "index.js"}\n',
            "package/index.js": "module.exports = 'tiny';\n",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    app = write(tmp_path / "app", {
        "template.yaml": template("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                                  "      CodeUri: hello/\n      Handler: app.handler\n", NODE_GLOBALS),
        "hello/app.js": "exports.handler = async () => require('tiny');\n",
        "hello/package.json": json.dumps({"name": "hello", "dependencies": {"tiny": f"file:{tarball}"}}),
    })  # fmt: skip
    said: list[str] = []
    builder = Builder(tmp_path / "cache", sys.executable, dict(os.environ), said.append)
    (first,) = package(read_template(app / "template.yaml"), app, builder, bucket).uploads
    assert "node_modules/tiny/index.js" in entries(bucket, first.key)
    assert any("npm install --omit=dev" in line for line in said)

    said.clear()  # the same package.json again, with no npm on PATH: the cache serves the same install
    offline = Builder(tmp_path / "cache", sys.executable, {**os.environ, "PATH": ""}, said.append)
    (again,) = package(read_template(app / "template.yaml"), app, offline, bucket).uploads
    assert again.key == first.key and not any("npm" in line for line in said)


def test_a_package_json_with_only_dev_dependencies_runs_no_npm(tmp_path: Path, bucket: Artifacts) -> None:
    app = write(tmp_path / "app", {
        "template.yaml": template("  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                                  "      CodeUri: hello/\n      Handler: app.handler\n", NODE_GLOBALS),
        "hello/app.js": "exports.handler = async () => 'hi';\n",
        "hello/package.json": '{"name": "hello", "devDependencies": {"jest": "^29.2.1"}}\n',
    })  # fmt: skip
    said: list[str] = []
    offline = Builder(tmp_path / "cache", sys.executable, {**os.environ, "PATH": ""}, said.append)
    (upload,) = package(read_template(app / "template.yaml"), app, offline, bucket).uploads
    assert {"app.js", "package.json"} <= set(entries(bucket, upload.key))
    assert not any("npm" in line for line in said)
