"""What the parity sweeps (tests/tf1_sweep, tests/keras_sweep) share: a program's results against the reference
values frozen from TF, keyed ``program/result``."""
import numpy as np


def load_reference(path):
    """The frozen reference values, ``{"program/result": array}``."""
    return dict(np.load(path))


def check_program(name, got, reference, check):
    """``got`` (the program's flattened results) has exactly the reference's results of program ``name``, each
    passing ``check(key, got, expected)``."""
    expected = {k: v for k, v in reference.items() if k.split("/")[0] == name}
    assert sorted(got) == sorted(expected)
    for key in expected:
        check(key, got[key], expected[key])


def programs_of(reference):
    """The programs the reference holds results of."""
    return {k.split("/")[0] for k in reference}
