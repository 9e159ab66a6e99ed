"""CloudWatch Logs filter patterns for unstructured events: terms, phrases, OR terms, exclusions, regexes.

Syntax (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
terms are case-sensitive and must all appear (`ERROR Exception`); a quoted term is one phrase
(`"Out of memory"`); `?ERROR ?WARN` matches events with any of the `?` terms; `-term` excludes;
`%regex%` is a regular expression (Python's `re`, close to AWS's subset). An empty pattern matches
everything. JSON (`{ $.level = "ERROR" }`) and space-delimited (`[ip, user, ...]`) patterns are not
supported yet: they raise InvalidParameterException saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from overcast.observe.errors import LogsInvalidParameter

Matcher = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class TermPattern:
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # at least one must appear, when any are given
    excluded: tuple[str, ...] = ()

    def __call__(self, message: str) -> bool:
        if any(term not in message for term in self.required):
            return False
        if any(term in message for term in self.excluded):
            return False
        return not self.optional or any(term in message for term in self.optional)


def _tokens(pattern: str) -> list[tuple[str, str]]:
    """(prefix, term) pairs: prefix is '', '?' or '-'; quotes group a phrase and are removed."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i].isspace():
            i += 1
            continue
        prefix = ""
        if pattern[i] in "?-" and i + 1 < n and not pattern[i + 1].isspace():
            prefix, i = pattern[i], i + 1
        if pattern[i] == '"':
            end = pattern.find('"', i + 1)
            if end == -1:
                raise LogsInvalidParameter("Invalid filter pattern: unterminated quoted phrase.")
            tokens.append((prefix, pattern[i + 1 : end]))
            i = end + 1
        else:
            end = i
            while end < n and not pattern[end].isspace():
                end += 1
            tokens.append((prefix, pattern[i:end]))
            i = end
    return tokens


def compile_pattern(pattern: str | None) -> Matcher | None:
    """A matcher for `pattern`, or None when it matches everything."""
    text = (pattern or "").strip()
    if not text:
        return None
    if text[0] in "{[":
        raise LogsInvalidParameter(
            "Overcast does not support JSON or space-delimited filter patterns yet; "
            "use terms, quoted phrases, ?terms, -terms or %regex%."
        )
    if len(text) > 1 and text[0] == "%" and text[-1] == "%":
        try:
            regex = re.compile(text[1:-1])
        except re.error as exc:
            raise LogsInvalidParameter(f"Invalid regular expression in filter pattern: {exc}") from None
        return lambda message: regex.search(message) is not None
    groups: dict[str, list[str]] = {"": [], "?": [], "-": []}
    for prefix, term in _tokens(text):
        if term:
            groups[prefix].append(term)
    return TermPattern(tuple(groups[""]), tuple(groups["?"]), tuple(groups["-"]))
