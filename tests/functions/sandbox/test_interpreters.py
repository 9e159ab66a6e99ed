"""Which host interpreter runs each python3.X runtime."""

from __future__ import annotations

import sys

import pytest

from overcast.functions.sandbox.interpreters import MissingInterpreter, available_python, resolve_python

HOST = f"python{sys.version_info.major}.{sys.version_info.minor}"


def test_the_host_interpreter_always_counts() -> None:
    path = available_python(HOST)
    assert path is not None and path.is_absolute() and "shims" not in str(path)
    assert available_python("nodejs20.x") is None


def test_a_missing_version_is_a_clear_error_unless_nearest_is_allowed() -> None:
    with pytest.raises(MissingInterpreter, match=r"No python3\.7 interpreter on this host for runtime python3\.7"):
        resolve_python("python3.7", nearest=False)
    path, notice = resolve_python("python3.7", nearest=True)
    assert path.is_absolute() and notice is not None and "running on python3." in notice
    assert resolve_python(HOST, nearest=True)[1] is None
