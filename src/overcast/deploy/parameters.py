"""`--parameter-overrides` and `--tags` read as `sam deploy` reads them.

Each option may be given several times; each value holds space-separated items, quoted as a shell
quotes them, each either `Key=Value` or `ParameterKey=Key,ParameterValue=Value` (the AWS CLI's form).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import Any

import click

LONG_FORM = re.compile(r"ParameterKey=(?P<key>[^,]+),ParameterValue=(?P<value>.*)", re.DOTALL)


class BadOverride(ValueError):
    """An item that is neither Key=Value nor ParameterKey=K,ParameterValue=V; the message says which."""


def pairs(values: Iterable[str], what: str = "parameter override") -> dict[str, str]:
    """Every Key=Value of `values`, in order (a later value for a key wins, as sam's does)."""
    found: dict[str, str] = {}
    for value in values:
        try:
            items = shlex.split(value)
        except ValueError as exc:
            raise BadOverride(f"{what} {value!r}: {exc}") from None
        for item in items:
            long_form = LONG_FORM.fullmatch(item)
            if long_form is not None:
                found[long_form["key"]] = long_form["value"]
                continue
            key, equals, text = item.partition("=")
            if not equals or not key:
                raise BadOverride(f"{what} {item!r} is not Key=Value or ParameterKey=Key,ParameterValue=Value")
            found[key] = text
    return found


class SpacedValues(click.Option):
    """A click option that, as sam's do, takes every argument after it up to the next option:
    `--parameter-overrides A=1 B=2` is `--parameter-overrides A=1 --parameter-overrides B=2` (with multiple=True)."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            first = option.process

            def process(value: Any, state: Any, first: Any = first, prefixes: Any = option.prefixes) -> None:
                first(value, state)
                while state.rargs and not any(state.rargs[0].startswith(p) for p in prefixes):
                    first(state.rargs.pop(0), state)

            option.process = process
