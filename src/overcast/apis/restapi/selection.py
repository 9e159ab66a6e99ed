"""Selection patterns: the Java regular expressions that choose a REST integration response.

API Gateway compiles `selectionPattern` as a java.util.regex.Pattern and matches it against the whole
of the backend's answer: a Lambda function's `errorMessage`, or the HTTP status code (a MOCK's too).
https://docs.aws.amazon.com/apigateway/latest/api/API_IntegrationResponse.html
Overcast runs them with Python's `re`: `translate` rewrites the Java syntax Python spells differently
(`\\Q...\\E`, `(?<name>...)`, `\\k<name>`, `\\p{Alpha}`, `\\z`, `\\x{h..h}`, flags in mid-pattern, ASCII
`\\d \\w \\s`) and refuses what Java refuses but Python would take (`(?P<n>...)`, `(?#...)`, `a{,3}`, a
literal `{`, escapes Java does not know). Java's class unions and intersections (`[a-z[0-9]]`,
`[a-z&&[^e]]`) have no Python spelling: those are refused as not supported yet.
"""

from __future__ import annotations

import functools
import re
import warnings

from overcast.errors import BadRequest


class InvalidPattern(ValueError):
    """A pattern Java would not compile, or one Overcast cannot run."""

    def __init__(self, reason: str, *, supported: bool = True) -> None:
        super().__init__(reason)
        self.supported = supported


# java.util.regex POSIX and java.lang.Character classes (US-ASCII, as Java's default).
_PROPERTIES = {
    "Lower": "a-z", "Upper": "A-Z", "ASCII": "\\x00-\\x7f", "Alpha": "a-zA-Z", "Digit": "0-9",
    "Alnum": "a-zA-Z0-9", "Punct": "!-/:-@\\[-`{-~", "Graph": "!-~", "Print": " -~", "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f", "XDigit": "0-9a-fA-F", "Space": " \\t\\n\\x0b\\f\\r",
    "javaLowerCase": "a-z", "javaUpperCase": "A-Z", "javaWhitespace": " \\t\\n\\x0b\\f\\r\\x1c-\\x1f",
    "L": "a-zA-Z", "IsAlphabetic": "a-zA-Z", "IsDigit": "0-9", "IsLetter": "a-zA-Z", "Lu": "A-Z", "Ll": "a-z",
    "IsWhite_Space": " \\t\\n\\x0b\\f\\r", "N": "0-9", "Nd": "0-9",
}  # fmt: skip
_CLASSES = {  # Java escapes Python lacks or spells otherwise, as the inside of a character class
    "h": " \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000",
    "v": "\\n\\x0b\\f\\r\\x85\\u2028\\u2029",
}
_SAME = set("tnrfadDsSwWbBAN0123456789")  # escapes both spell alike (\N{name} needs Java 9, as AWS has)
_JAVA_FLAGS = set("idmsuxU-")
_REPEAT = re.compile(r"\{\d+(,\d*)?\}")
_FLAG_GROUP = re.compile(r"\(\?([idmsuxU-]*)([):])")


def _property(pattern: str, i: int) -> tuple[str, bool, int]:
    """`\\p{Name}` or `\\pL` at `i` (the backslash): (class content, negated, index after it)."""
    negated = pattern[i + 1] == "P"
    if pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        if end < 0:
            raise InvalidPattern("Unclosed character family")
        name, after = pattern[i + 3 : end], end + 1
    else:
        name, after = pattern[i + 2 : i + 3], i + 3
    name = name.removeprefix("Is") if name.removeprefix("Is") in _PROPERTIES else name
    if name not in _PROPERTIES:
        raise InvalidPattern(f"Unknown character property name {{{name}}}")
    return _PROPERTIES[name], negated, after


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """The Python for the Java escape at `i` (a backslash), and the index after it."""
    if i + 1 >= len(pattern):
        raise InvalidPattern("Unexpected internal error")  # Java's words for a trailing backslash
    c = pattern[i + 1]
    if c == "Q":
        end = pattern.find("\\E", i + 2)
        literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
        return "".join(re.escape(ch) for ch in literal), len(pattern) if end < 0 else end + 2
    if c in "pP":
        content, negated, after = _property(pattern, i)
        if in_class:
            if negated:
                raise InvalidPattern("a negated property inside a character class", supported=False)
            return content, after
        return ("[^" if negated else "[") + content + "]", after
    if c in "hHvV":
        content = _CLASSES[c.lower()]
        if in_class:
            if c.isupper():
                raise InvalidPattern(f"\\{c} inside a character class", supported=False)
            return content, i + 2
        return ("[^" if c.isupper() else "[") + content + "]", i + 2
    if c == "x" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        digits = pattern[i + 3 : end] if end > 0 else ""
        if not re.fullmatch(r"[0-9a-fA-F]{1,6}", digits) or int(digits, 16) > 0x10FFFF:
            raise InvalidPattern("Hexadecimal codepoint is too big" if digits else "Unclosed hexadecimal escape")
        return re.escape(chr(int(digits, 16))), end + 1
    if c == "0":
        octal = re.match(r"[0-3]?[0-7]{1,2}", pattern[i + 2 : i + 5])
        if octal is None:
            raise InvalidPattern("Illegal octal escape sequence")
        return re.escape(chr(int(octal.group(), 8))), i + 2 + octal.end()
    if c == "c" and i + 2 < len(pattern):
        return re.escape(chr(ord(pattern[i + 2]) ^ 64)), i + 3
    if c == "e":
        return "\\x1b", i + 2
    if c == "N" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i + 3)
        if end < 0:
            raise InvalidPattern("Unclosed character name escape sequence")
        return pattern[i : end + 1], end + 1
    if c in "xu":
        return pattern[i : i + 2], i + 2  # \xhh and \uhhhh: Python checks the digits as Java does
    if in_class and c in "zZkRXGbB":
        raise InvalidPattern(f"Illegal/unsupported escape sequence \\{c} in a character class")
    if c == "z":
        return "\\Z", i + 2
    if c == "Z":
        return "(?=\\n?\\Z)", i + 2  # Java: the end, but for a final line terminator
    if c == "R":
        return "(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])", i + 2
    if c == "k":
        named = re.match(r"<([a-zA-Z][a-zA-Z0-9]*)>", pattern[i + 2 :])
        if named is None:
            raise InvalidPattern("\\k is not followed by '<' for named capturing group")
        return f"(?P={named.group(1)})", i + 2 + named.end()
    if c in "GX":
        raise InvalidPattern(f"\\{c}", supported=False)
    if c.isascii() and c.isalpha() and c not in _SAME:
        raise InvalidPattern(f"Illegal/unsupported escape sequence \\{c}")
    return pattern[i : i + 2], i + 2


def _flags(raw: str) -> str:
    """Java inline flags as Python's scoped ones: d (UNIX_LINES) and u/U (Unicode) have no Python flag."""
    on, _, off = raw.partition("-")
    on, off = "".join(f for f in on if f in "imsx"), "".join(f for f in off if f in "imsx")
    return on + ("-" + off if off else "")


def _close(flags: list[str]) -> str:
    """Close the scoped groups that stand for Java's `(?flags)`; a comment of `(?x)` ends at a new line first."""
    if not flags:
        return ""
    return ("\n" if any("x" in f.partition("-")[0] for f in flags) else "") + ")" * len(flags)


def translate(pattern: str) -> tuple[str, bool]:
    """(the Python pattern for this Java pattern, whether it asks for Unicode classes); InvalidPattern if none."""
    out: list[str] = []
    levels: list[list[str]] = [[]]  # per open group: the flags set inside it so far (`a(?i)b`), still open
    unicode = False
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            text, i = _escape(pattern, i, in_class)
            out.append(text)
            continue
        if in_class:
            if c == "[":
                raise InvalidPattern("a union of character classes", supported=False)
            if pattern.startswith("&&", i):
                raise InvalidPattern("an intersection of character classes", supported=False)
            if c == "]" and not (out[-1] == "[" or out[-1] == "[^"):
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append("[^" if pattern.startswith("^", i + 1) else "[")
            i += 2 if pattern.startswith("^", i + 1) else 1
            continue
        if c == "{":
            repeat = _REPEAT.match(pattern, i)
            if repeat is None:
                raise InvalidPattern("Illegal repetition")
            out.append(repeat.group())
            i = repeat.end()
            continue
        if c == "(":
            flagged = _FLAG_GROUP.match(pattern, i)
            if flagged is not None and flagged.group(1):
                unicode = unicode or "u" in flagged.group(1) or "U" in flagged.group(1)
                flags = _flags(flagged.group(1))
                if flagged.group(2) == ")":  # (?i) turns the flags on up to the end of the enclosing group
                    levels[-1].append(flags)
                    out.append(f"(?{flags}:" if flags else "(?:")
                else:
                    levels.append([])
                    out.append(f"(?{flags}:" if flags else "(?:")
                i = flagged.end()
                continue
            if pattern.startswith("(?", i) and not re.match(r"\(\?(?:[:=!>]|<[=!a-zA-Z])", pattern[i:]):
                raise InvalidPattern(f"Unknown inline modifier near index {i + 2}")
            named = re.match(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>", pattern[i:])
            levels.append([])
            out.append(f"(?P<{named.group(1)}>" if named else "(")
            i += named.end() if named else 1
            continue
        if c == ")":
            if len(levels) == 1:
                raise InvalidPattern("Unmatched closing ')'")
            out.append(_close(levels.pop()) + ")")
            i += 1
            continue
        if c == "|":
            open_flags = levels[-1]
            out.append(_close(open_flags) + "|" + "".join(f"(?{f}:" if f else "(?:" for f in open_flags))
            i += 1
            continue
        out.append(c)
        i += 1
    if in_class:
        raise InvalidPattern("Unclosed character class")
    if len(levels) > 1:
        raise InvalidPattern("Unclosed group")
    return "".join(out) + _close(levels[0]), unicode


def _compile(pattern: str) -> re.Pattern[str]:
    text, unicode = translate(pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Python's FutureWarnings on `--` or `&&` in a class: literal in Java
            return re.compile(text, 0 if unicode else re.ASCII)
    except (re.error, OverflowError, RecursionError) as e:
        # Java allows a bounded variable-width look-behind, Python only a fixed-width one.
        raise InvalidPattern(str(e), supported="look-behind" not in str(e)) from None


def check(pattern: str) -> None:
    """PutIntegrationResponse's check: BadRequest for a pattern Java would refuse (or Overcast cannot run)."""
    try:
        _compile(pattern)
    except InvalidPattern as e:
        if not e.supported:
            raise BadRequest(f"Overcast does not support {e} in selection patterns yet: {pattern}") from None
        raise BadRequest(f"Invalid selection pattern specified: {pattern}") from None


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return _compile(pattern)
    except InvalidPattern:
        return None


def matches(pattern: str, text: str) -> bool:
    """Whether the selection pattern matches all of `text`; a pattern that cannot compile (one stored
    before patterns were checked) matches nothing, so a request never fails on it."""
    compiled = _compiled(pattern)
    return compiled is not None and compiled.fullmatch(text) is not None
