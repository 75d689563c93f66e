"""Writes keras_reference.npz: every program of programs.py run in tf_keras 2.21 (a program tf_keras cannot run
is left out and reported). Run with a Python that has tf_keras:
``/work/tfvenv/bin/python tests/keras_sweep/make_reference.py``."""
import os
import sys

import numpy as np
import tf_keras as keras

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from tests.keras_sweep.programs import PROGRAMS, flatten  # noqa: E402


def main():
    frozen = {}
    for name, program in PROGRAMS.items():
        keras.backend.clear_session()
        try:
            frozen.update(flatten(name, program(keras)))
        except Exception as e:  # noqa: BLE001 (reported: the program needs fixing)
            print(f"{name}: {type(e).__name__}: {e}")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_reference.npz")
    np.savez_compressed(path, **frozen)
    print(f"wrote {len(frozen)} values of {len(PROGRAMS)} programs to {path}")


if __name__ == "__main__":
    main()
