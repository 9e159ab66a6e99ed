import os
import zipfile
from pathlib import Path

import pytest

from overcast.functions import archives
from overcast.functions.errors import InvalidParameterValue

from .zips import (
    CENTRAL_HEADER_OFFSET,
    CENTRAL_UNCOMPRESSED_SIZE,
    handler_zip,
    make_zip,
    patch_central_directory,
    symlink_zip,
)


def test_inspect_reports_digest_and_sizes() -> None:
    data = make_zip({"a.txt": "hello", "dir/b.txt": "world!"})
    summary = archives.inspect(data)
    assert summary.size == len(data)
    assert summary.unzipped_size == 11
    assert summary.entries == 2
    import hashlib

    assert summary.sha256_hex == hashlib.sha256(data).hexdigest()


def _overlapping() -> bytes:
    data = make_zip({"a": "x" * 100, "b": "y" * 100}, compression=zipfile.ZIP_STORED)
    return patch_central_directory(data, 1, CENTRAL_HEADER_OFFSET, 0)


def _lying_size() -> bytes:
    # Declares 10 bytes but holds 5000: a reader trusting the header would be fooled.
    data = make_zip({"a": "z" * 5000})
    return patch_central_directory(data, 0, CENTRAL_UNCOMPRESSED_SIZE, 10)


HOSTILE = {
    "traversal": (make_zip({"../evil.py": "x"}), "points outside"),
    "nested traversal": (make_zip({"a/../../evil.py": "x"}), "points outside"),
    "backslash traversal": (make_zip({"a\\..\\..\\evil.py": "x"}), "points outside"),
    "absolute": (make_zip({"/etc/cron.d/evil": "x"}), "absolute path"),
    "drive letter": (make_zip({"C:/evil": "x"}), "absolute path"),
    "symlink": (symlink_zip(), "symbolic link"),
    "bzip2 bomb": (make_zip({"bomb": b"\0" * (8 << 20)}, compression=zipfile.ZIP_BZIP2), "zip bomb"),
    "overlapping entries": (_overlapping(), "overlap"),
    "lying size": (_lying_size(), "Could not unzip uploaded file"),
    "not a zip": (b"this is not a zip file at all", "Could not unzip uploaded file. Please check your file"),
    "truncated": (handler_zip()[:-30], "Could not unzip uploaded file. Please check your file"),
    "empty bytes": (b"", "Could not unzip uploaded file. Please check your file"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_inspect_refuses_hostile_zips(case: str) -> None:
    data, message = HOSTILE[case]
    with pytest.raises(InvalidParameterValue) as caught:
        archives.inspect(data)
    assert message in caught.value.message
    assert caught.value.code == "InvalidParameterValueException"


@pytest.mark.parametrize("case", list(HOSTILE))
def test_extract_refuses_hostile_zips_and_writes_nothing(case: str, tmp_path: Path) -> None:
    data, _ = HOSTILE[case]
    with pytest.raises(InvalidParameterValue):
        archives.extract(data, tmp_path / "code")
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "evil.py").exists()


def test_too_many_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "MAX_ENTRIES", 10)
    data = make_zip({f"f{i}": "x" for i in range(11)})
    with pytest.raises(InvalidParameterValue, match="11 entries, more than the 10"):
        archives.inspect(data)


def test_unzipped_limit_by_declared_size() -> None:
    data = make_zip({"big": "a" * 3000})
    with pytest.raises(InvalidParameterValue, match="Unzipped size must be smaller than 2000 bytes"):
        archives.inspect(data, limit=2000)


def test_unzipped_limit_counts_real_bytes_when_headers_lie() -> None:
    # Two entries each declaring 10 bytes; the real total is 2 x 1500. Either the CRC or the byte
    # count must refuse it; it never passes as 20 bytes.
    data = make_zip({"a": "q" * 1500, "b": "r" * 1500})
    data = patch_central_directory(data, 0, CENTRAL_UNCOMPRESSED_SIZE, 10)
    data = patch_central_directory(data, 1, CENTRAL_UNCOMPRESSED_SIZE, 10)
    with pytest.raises(InvalidParameterValue):
        archives.inspect(data, limit=2000)


def test_deflate_of_zeros_is_not_a_bomb() -> None:
    # 4 MB of zeros deflates about 1000:1, which honest deflate can do.
    summary = archives.inspect(make_zip({"zeros": b"\0" * (4 << 20)}))
    assert summary.unzipped_size == 4 << 20


def test_extract_writes_files_with_modes(tmp_path: Path) -> None:
    data = make_zip({"bootstrap": "#!/bin/sh\n"}, mode=0o755)
    data2 = make_zip({"lib/mod.py": "X = 1\n", "index.py": "import lib\n"})
    dest = tmp_path / "code"
    archives.extract(data, dest)
    assert (dest / "bootstrap").read_text() == "#!/bin/sh\n"
    assert os.stat(dest / "bootstrap").st_mode & 0o777 == 0o755
    dest2 = tmp_path / "code2"
    dest2.mkdir()
    summary = archives.extract(data2, dest2)
    assert (dest2 / "lib" / "mod.py").read_text() == "X = 1\n"
    assert os.stat(dest2 / "index.py").st_mode & 0o777 == 0o644
    assert summary.unzipped_size == len("X = 1\n") + len("import lib\n")


def test_extract_refuses_a_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "keep").write_text("mine")
    with pytest.raises(FileExistsError):
        archives.extract(handler_zip(), tmp_path / "code")
    assert (tmp_path / "code" / "keep").read_text() == "mine"


def test_safe_name_normalises() -> None:
    assert archives.safe_name("./a//b/./c.py") == "a/b/c.py"
    assert archives.safe_name("dir/") == "dir"
