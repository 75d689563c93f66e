"""The gn.map_fn / scan / foldl / foldr cases shared by make_functional_reference.py (run under TF 2.21's
tf.compat.v1, which writes functional_reference.json) and test_functional_ops.py (run under gpunet):
``CASES[id](tf, x)`` builds the outputs from a float64 ``[4, 3]`` tensor ``x`` with either module."""
import numpy as np

X = np.arange(12, dtype=np.float64).reshape(4, 3) / 10.0 - 0.4

CASES = {
    "map": lambda tf, x: tf.map_fn(lambda r: r * r + 1.0, x),
    "map-nested-dtype": lambda tf, x: tf.map_fn(lambda p: (p[0] * 2.0, tf.reduce_sum(p[1] * p[0])), (x, x + 1.0),
                                                dtype=(tf.float64, tf.float64)),
    "map-dict": lambda tf, x: tf.map_fn(lambda d: {"a": d["a"] * d["b"], "b": tf.sin(d["b"])}, {"a": x, "b": x * 3.0}),
    "map-to-int": lambda tf, x: tf.map_fn(lambda r: tf.cast(tf.reduce_sum(r) > 0.5, tf.int32), x, dtype=tf.int32),
    "scan": lambda tf, x: tf.scan(lambda a, r: a * r + r, x),
    "scan-initializer": lambda tf, x: tf.scan(lambda a, r: a * tf.reduce_sum(r) + 1.0, x,
                                              initializer=tf.constant(0.5, tf.float64)),
    "scan-reverse": lambda tf, x: tf.scan(lambda a, r: tf.sin(a) + r, x, reverse=True),
    "scan-nested": lambda tf, x: tf.scan(lambda a, r: (a[0] + r * a[1], a[1] * tf.reduce_sum(r)), x,
                                         initializer=(tf.zeros([3], tf.float64), tf.constant(1.0, tf.float64))),
    "scan-pairs": lambda tf, x: tf.scan(lambda a, p: (a[0] + p[0] * p[1], a[1] - p[1]), (x, x * 2.0)),
    "foldl": lambda tf, x: tf.foldl(lambda a, r: a * r + r, x),
    "foldl-initializer": lambda tf, x: tf.foldl(lambda a, r: a + tf.reduce_sum(r * r), x,
                                                initializer=tf.constant(0.5, tf.float64)),
    "foldr": lambda tf, x: tf.foldr(lambda a, r: tf.sin(a) + r, x),
    "foldr-nested": lambda tf, x: tf.foldr(lambda a, p: (a[0] * p[0], a[1] + p[1]), (x, x * 2.0),
                                           initializer=(tf.ones([3], tf.float64), tf.zeros([3], tf.float64))),
}


def loss(tf, flatten, outputs):
    """A scalar of every float output (``flatten``: the module's nest.flatten), each element weighted differently."""
    terms = [tf.reduce_sum(tf.sin(o) * o) for o in flatten(outputs) if o.dtype == tf.float64]
    return sum(terms[1:], terms[0]) if terms else None
