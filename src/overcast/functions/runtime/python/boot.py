"""Boot: the `-c` program that loads this package under its private name in a fresh interpreter."""

from __future__ import annotations

import os

HERE = os.path.dirname(os.path.abspath(__file__))

_TEMPLATE = """\
import sys, importlib.util
spec = importlib.util.spec_from_file_location({name!r}, {init!r}, submodule_search_locations=[{here!r}])
module = importlib.util.module_from_spec(spec)
sys.modules[{name!r}] = module
spec.loader.exec_module(module)
from {name} import {entry} as entry
entry.main({argument})
"""


def program(entry: str, argument: int) -> str:
    """Python source that imports `entry` of this package (privately named) and calls main(argument)."""
    from . import PRIVATE_NAME

    return _TEMPLATE.format(
        name=PRIVATE_NAME, init=os.path.join(HERE, "__init__.py"), here=HERE, entry=entry, argument=argument
    )
