"""RE2 patterns (TF's regex engine) for Python's ``re``: refused where RE2 refuses them, translated where the two
read the same text differently.

Refused as RE2 refuses them (Python's re accepts them): lookaround, backreferences in the pattern, atomic groups,
possessive quantifiers, conditionals. Translated: ``\\d \\w \\s \\b`` and their negations are ASCII-only in RE2
(``\\s`` is ``[\\t\\n\\f\\r ]``, without ``\\v``), POSIX classes (``[[:alpha:]]``) are ASCII, and ``$`` (without
``(?m)``) is the very end of the text, never before a final newline. Refused with a message saying so, having no
Python equivalent: ``\\C`` (any byte) and Unicode classes (``\\pL``, ``\\p{Greek}``), negated POSIX classes.
Case folding under ``(?i)`` is Python's Unicode folding, as RE2's. Inside a bracket expression ``\\D \\W \\S`` keep
Python's Unicode meaning (they differ from RE2's for non-ASCII digits, letters and spaces only).
"""
from __future__ import annotations

import re

__all__ = ["compile_re2"]

# What RE2 rejects that Python's re accepts, found in the pattern's skeleton (see _skeleton):
# (regex, RE2's error text, how many characters of the match RE2 quotes)
_RE2_REJECTS = [
    (re.compile(r"\(\?<?[=!]|\(\?[>(]"), "invalid perl operator: {}", 3),
    (re.compile(r"\(\?P=\w+\)"), "invalid named capture group: {}", None),
    (re.compile(r"\\[1-9]"), "invalid escape sequence: {}", None),
    (re.compile(r"[*+?}][*+]"), "bad repetition operator: {}", None),
    (re.compile(r"\\[CpP]"), "{} (RE2's any-byte or Unicode class) is not supported by gpunet's regex ops", None),
]

# RE2's POSIX classes and Perl classes (ASCII), as the contents of a Python character class
_WORD, _SPACE = "0-9A-Za-z_", "\\t\\n\\f\\r "
_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
          "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": _WORD,
          "xdigit": "0-9A-Fa-f"}
_POSIX_NAME = re.compile(r"\[:(\^?)(\w*):\]")
_IN_CLASS = {"d": "0-9", "w": _WORD, "s": _SPACE}
_OUTSIDE = {"d": "[0-9]", "D": "[^0-9]", "w": f"[{_WORD}]", "W": f"[^{_WORD}]", "s": f"[{_SPACE}]",
            "S": f"[^{_SPACE}]", "b": f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))",
            "B": f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))"}
_MULTILINE = re.compile(r"\(\?[a-zA-Z]*m")


def compile_re2(pattern, fail):
    """``pattern`` (RE2 syntax) compiled by Python's re with RE2's meaning; ``fail(message)`` makes the error
    raised where RE2 would refuse the pattern (TF's ``Invalid pattern: ..., error: ...``)."""
    skeleton = _skeleton(pattern)
    for check, message, quoted in _RE2_REJECTS:
        found = check.search(skeleton)
        if found:
            raise fail(f"Invalid pattern: {pattern}, error: {message.format(found.group(0)[:quoted])}")
    try:
        return re.compile(_translated(pattern, fail))
    except re.error as exc:
        raise fail(f"Invalid pattern: {pattern}, error: {exc}") from None


def _skeleton(pattern):
    """``pattern`` with each character class shown as ``C`` and each escape other than a digit, ``\\C``, ``\\p``
    or ``\\P`` as ``E``: what is left is the syntax RE2 and Python's re may disagree on."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escaped = pattern[i + 1:i + 2]
            out.append("\\" + escaped if escaped.isdigit() or escaped in "CpP" else "E")
            i += 2
        elif char == "[":
            i = _class_end(pattern, i)
            out.append("C")
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _class_end(pattern, start):
    """The index just past the character class opening at ``start`` (its end if unterminated)."""
    i = start + 1 + (pattern[start + 1:start + 2] == "^")
    i += pattern[i:i + 1] == "]"  # a ']' first is a literal
    while i < len(pattern) and pattern[i] != "]":
        posix = _POSIX_NAME.match(pattern, i)
        i = posix.end() if posix else i + (2 if pattern[i] == "\\" else 1)
    return i + 1


def _translated(pattern, fail):
    """``pattern`` with RE2's ASCII classes, POSIX classes and end anchor spelled out for Python's re."""
    end_anchor = "$" if _MULTILINE.search(pattern) else r"\Z"
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(_OUTSIDE.get(pattern[i + 1:i + 2], pattern[i:i + 2]))
            i += 2
        elif char == "[":
            end = _class_end(pattern, i)
            out.append(_translated_class(pattern[i:end], pattern, fail))
            i = end
        else:
            out.append(end_anchor if char == "$" else char)
            i += 1
    return "".join(out)


def _translated_class(text, pattern, fail):
    """One bracket expression with ``\\d \\w \\s`` and POSIX classes spelled out in ASCII."""
    out, i = [], 0
    while i < len(text):
        posix = _POSIX_NAME.match(text, i)
        if posix:
            out.append(_posix_class(posix, pattern, fail))
            i = posix.end()
        elif text[i] == "\\":
            out.append(_IN_CLASS.get(text[i + 1:i + 2], text[i:i + 2]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _posix_class(match, pattern, fail):
    if match.group(1) or match.group(2) not in _POSIX:
        what = "negated POSIX classes are not supported here" if match.group(1) else "invalid character class range"
        raise fail(f"Invalid pattern: {pattern}, error: {what}: {match.group(0)}")
    return _POSIX[match.group(2)]
