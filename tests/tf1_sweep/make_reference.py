"""Writes tf1_reference.npz: every program of programs.py run in TensorFlow 2.21's tf.compat.v1 (graph mode).
Run with a Python that has TensorFlow: ``/work/tfvenv/bin/python tests/tf1_sweep/make_reference.py``."""
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from tests.tf1_sweep.programs import PROGRAMS, flatten  # noqa: E402

tf.disable_v2_behavior()


def main():
    frozen = {}
    for name, program in PROGRAMS.items():
        with tf.Graph().as_default():
            frozen.update(flatten(name, program(tf)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tf1_reference.npz")
    np.savez_compressed(path, **frozen)
    print(f"wrote {len(frozen)} values of {len(PROGRAMS)} programs to {path}")


if __name__ == "__main__":
    main()
