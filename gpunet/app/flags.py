"""absl-style flags over argparse: ``DEFINE_string/integer/float/boolean`` and ``FLAGS``.

``FLAGS(argv)`` (what ``gn.app.run`` calls) parses ``--name=value``, ``--name value``, and for
booleans ``--name``, ``--noname``, ``--name=false``; it returns the program name plus the
positional arguments. Reading a flag before any parse parses ``sys.argv`` first, ignoring
what it does not know (TF1's behaviour before absl), so module-level ``FLAGS.x`` works.
"""
from __future__ import annotations

import argparse
import operator
import sys
from dataclasses import dataclass
from typing import Callable

__all__ = ["DEFINE_bool", "DEFINE_boolean", "DEFINE_enum", "DEFINE_float", "DEFINE_integer", "DEFINE_string",
           "Error", "FLAGS", "FlagValues"]


class Error(ValueError):
    """A flag definition or a command line that cannot be parsed."""


@dataclass
class _Flag:
    name: str
    default: object
    help: str
    parse: Callable     # str -> value (raises ValueError on a bad value)
    type_name: str


class FlagValues:
    """The registry of defined flags and their values; ``FLAGS`` is the process-wide one."""

    def __init__(self):
        object.__setattr__(self, "_flags", {})
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_parsed", False)

    def _define(self, flag: _Flag):
        if flag.name in self._flags:
            raise Error(f"The flag '{flag.name}' is defined twice.")
        self._flags[flag.name] = flag
        self._values[flag.name] = flag.default

    def __call__(self, argv):
        """Parse ``argv`` (``argv[0]`` is the program); returns ``[argv[0]] + positional args``."""
        parsed, rest = _parser(self, argv[0] if argv else "").parse_known_args(self._bools_spelled_out(argv[1:]))
        unknown = [a for a in rest if a.startswith("-") and a != "-"]
        if unknown:
            raise Error(f"Unknown command line flag '{unknown[0].lstrip('-').split('=')[0]}'")
        self._values.update((k, v) for k, v in vars(parsed).items() if v is not _UNSET)
        object.__setattr__(self, "_parsed", True)
        return list(argv[:1]) + rest

    def _bools_spelled_out(self, args):
        """``--flag=false`` as ``--noflag`` (argparse would let a bare ``--flag`` eat the next word)."""
        result = []
        for arg in args:
            name, sep, text = arg[2:].partition("=")
            flag = self._flags.get(name) if arg.startswith("--") and sep else None
            if flag is not None and flag.type_name == "bool":
                try:
                    arg = f"--{name}" if _parse_bool(text) else f"--no{name}"
                except ValueError:
                    raise Error(f"Flag --{name}: {text!r} is not a valid bool") from None
            result.append(arg)
        return result

    def is_parsed(self) -> bool:
        """Whether a command line has been parsed into these flags."""
        return self._parsed

    def flag_values_dict(self) -> dict:
        """``{flag name: current value}``."""
        return dict(self._values)

    def __getattr__(self, name):
        if name not in self._flags:
            raise AttributeError(f"Unknown flag '{name}': define it with gn.app.flags.DEFINE_*")
        if not self._parsed:
            self._parse_known(sys.argv)
        return self._values[name]

    def __setattr__(self, name, value):
        if name not in self._flags:
            raise AttributeError(f"Unknown flag '{name}': define it with gn.app.flags.DEFINE_*")
        self._values[name] = value

    def __contains__(self, name):
        return name in self._flags

    def _parse_known(self, argv):
        parsed, _ = _parser(self, argv[0] if argv else "").parse_known_args(self._bools_spelled_out(argv[1:]))
        self._values.update((k, v) for k, v in vars(parsed).items() if v is not _UNSET)
        object.__setattr__(self, "_parsed", True)


_UNSET = object()


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise Error(message)


def _parser(values: FlagValues, prog: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, allow_abbrev=False, add_help=False, argument_default=_UNSET)
    for flag in values._flags.values():
        if flag.type_name == "bool":
            parser.add_argument(f"--{flag.name}", dest=flag.name, action="store_true", help=flag.help)
            parser.add_argument(f"--no{flag.name}", dest=flag.name, action="store_false")
        else:
            parser.add_argument(f"--{flag.name}", dest=flag.name, type=flag.parse, help=flag.help)
    return parser


FLAGS = FlagValues()


def _typed(type_name, convert):
    def parse(text):
        try:
            return convert(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {type_name}") from None
    parse.__name__ = type_name
    return parse


def _parse_bool(text):
    lowered = str(text).lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise ValueError(text)


def _strict_int(value):
    """int('3') and 3, but not 1.5 or '1.5' (no silent truncation)."""
    return int(value) if isinstance(value, str) else operator.index(value)


def _define(type_name, convert, name, default, help, flag_values):
    try:
        default = None if default is None else convert(default)
    except (TypeError, ValueError):
        raise Error(f"Flag '{name}': default {default!r} is not a valid {type_name}") from None
    flag_values._define(_Flag(name, default, help, _typed(type_name, convert), type_name))


def DEFINE_string(name, default, help, flag_values=FLAGS):  # noqa: N802 (TF1's names)
    """A string flag ``--name=value``."""
    _define("string", str, name, default, help, flag_values)


def DEFINE_integer(name, default, help, flag_values=FLAGS):  # noqa: N802
    """An int flag; ``--name=1.5`` is an error."""
    _define("int", _strict_int, name, default, help, flag_values)


def DEFINE_float(name, default, help, flag_values=FLAGS):  # noqa: N802
    """A float flag."""
    _define("float", float, name, default, help, flag_values)


def DEFINE_boolean(name, default, help, flag_values=FLAGS):  # noqa: N802
    """A boolean flag: ``--name``, ``--noname``, ``--name=true|false``."""
    _define("bool", _parse_bool, name, default, help, flag_values)


DEFINE_bool = DEFINE_boolean


def DEFINE_enum(name, default, enum_values, help, flag_values=FLAGS):  # noqa: N802
    """A string flag restricted to ``enum_values``."""
    allowed = list(enum_values)

    def convert(text):
        if text not in allowed:
            raise ValueError(text)
        return text
    _define(f"one of {allowed}", convert, name, default, help, flag_values)
