"""Freezes TF1's outputs (or errors) for tests/ops/string_cases.py into string_reference.json.

Run with a Python that has TensorFlow: ``/work/tfvenv/bin/python tests/ops/make_string_reference.py``.
Bytes are stored as latin-1 text (one character per byte), so the file is plain JSON."""
import json
import pathlib
import re
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
from tests.ops.string_cases import CASES, FINGERPRINT_LENGTHS, fingerprint_input  # noqa: E402

tf.disable_v2_behavior()


def encode(value):
    if hasattr(value, "dense_shape"):
        return {"sparse": [encode(value.indices), encode(value.values), encode(value.dense_shape)]}
    array = np.asarray(value)
    data = [v.decode("latin-1") if isinstance(v, bytes) else v.item() for v in array.ravel()]
    return {"dtype": "string" if array.dtype == object else array.dtype.name, "shape": list(array.shape),
            "data": data}


def core_message(exc):
    """The op's own message, without TF2's traceback framing."""
    text = getattr(exc, "message", str(exc))
    text = re.split(r"\nNode: '[^']*'\n", text)[-1]
    return text.split("\n\t [[")[0].strip()


def run(build):
    tf.reset_default_graph()
    try:
        output = build(tf)
    except Exception as exc:  # noqa: BLE001
        return {"error": type(exc).__name__, "at": "build", "message": str(exc)}
    try:
        with tf.Session() as sess:
            return encode(sess.run(output))
    except tf.errors.OpError as exc:
        return {"error": type(exc).__name__, "at": "run", "message": core_message(exc)}


def fingerprints():
    """TF's Fingerprint64 of each fingerprint_input, as decimal text (JSON numbers lose 64-bit precision)."""
    tf.reset_default_graph()
    data = np.empty(len(FINGERPRINT_LENGTHS), dtype=object)
    data[:] = [fingerprint_input(n) for n in FINGERPRINT_LENGTHS]
    with tf.Session() as sess:
        rows = sess.run(tf.fingerprint(tf.constant(data, dtype=tf.string), method="farmhash64"))
    return [str(int.from_bytes(bytes(row), "little")) for row in rows]


def main():
    frozen = {case_id: run(build) for case_id, build in CASES}
    path = pathlib.Path(__file__).with_name("string_reference.json")
    path.write_text(json.dumps({"tensorflow": tf.__version__, "cases": frozen,
                                "fingerprint64": fingerprints()}, indent=1, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
