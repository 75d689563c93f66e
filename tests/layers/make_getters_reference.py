"""Generates getters_reference.npz: what tf_keras 2.21's ``regularizers.get``, ``initializers.get``,
``constraints.get`` and ``activations.get`` make of each name they accept (a regularizer's l1/l2 factors, an
initializer's sample statistics, a constraint's class and config as JSON, an activation's values on ``X``), and
the error class and message of the identifiers they refuse. Run with the tf_keras venv:
``/work/tfvenv/bin/python tests/layers/make_getters_reference.py``."""
import json
import os

import numpy as np

REGULARIZERS = ["l1", "l2", "l1_l2", "L1", "L2", "L1L2"]
INITIALIZERS = ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
                "random_normal", "random_uniform", "truncated_normal", "normal", "uniform", "variance_scaling",
                "zeros", "ones", "zero", "one", "constant", "GlorotUniform", "HeNormal", "LecunUniform",
                "RandomNormal", "TruncatedNormal", "VarianceScaling", "Zeros", "Ones", "Constant"]
CONSTRAINTS = ["max_norm", "maxnorm", "MaxNorm", "non_neg", "nonneg", "NonNeg", "unit_norm", "unitnorm", "UnitNorm",
               "min_max_norm", "MinMaxNorm", "radial_constraint", "RadialConstraint"]
ACTIVATIONS = ["softmax", "elu", "selu", "softplus", "softsign", "swish", "relu", "gelu", "tanh", "sigmoid",
               "exponential", "hard_sigmoid", "linear", "mish", "leaky_relu", "log_softmax", "relu6", "silu"]
SAMPLE_SHAPE = (64, 100)  # fan_in 64, fan_out 100
X = np.linspace(-4.0, 4.0, 24, dtype=np.float32).reshape(2, 12)
BAD = {"regularizers": [5, {"class_name": "Nope", "config": {}}], "initializers": ["nope", 5],
       "constraints": ["nope", 5], "activations": ["nope", 5]}


def error_of(fn, identifier):
    try:
        fn(identifier)
    except Exception as e:  # noqa: BLE001 (recording whatever tf_keras raises)
        return [type(e).__name__, str(e)]
    return None


def main():
    import tensorflow as tf  # here, so that the tests can import the name lists without TensorFlow
    import tf_keras

    arrays = {}
    for name in REGULARIZERS:
        config = tf_keras.regularizers.get(name).get_config()
        arrays[f"regularizer_{name}"] = np.array([config.get("l1", 0.0), config.get("l2", 0.0)])
    for name in INITIALIZERS:
        sample = tf_keras.initializers.get(name)(SAMPLE_SHAPE).numpy()
        arrays[f"initializer_{name}"] = np.array([sample.mean(), sample.std(), np.abs(sample).max()])
    for name in CONSTRAINTS:
        constraint = tf_keras.constraints.get(name)
        arrays[f"constraint_{name}"] = np.array(json.dumps([type(constraint).__name__, constraint.get_config()]))
    for name in ACTIVATIONS:
        arrays[f"activation_{name}"] = tf_keras.activations.get(name)(tf.constant(X)).numpy()
    for module, identifiers in BAD.items():
        for i, identifier in enumerate(identifiers):
            arrays[f"error_{module}_{i}"] = np.array(json.dumps(error_of(getattr(tf_keras, module).get, identifier)))
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "getters_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
