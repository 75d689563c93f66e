"""Loads each config of gpunet_json_reference.json with tf_keras 2.21 (``tf_keras.models.model_from_json``), sets
the stored weights, runs the stored input and records in the file, per model, the largest difference from gpunet's
outputs (or the error tf_keras raised). Run with /work/tfvenv/bin/python after make_gpunet_json_reference.py."""
import json
import os

import numpy as np
import tf_keras as keras
from tf_keras.src.saving.serialization_lib import SafeModeScope

HERE = os.path.dirname(os.path.abspath(__file__))


def check(name, config, arrays):
    def group(prefix):
        return [arrays[k] for k in sorted(arrays) if k.startswith(f"{name}/{prefix}")]
    keras.backend.clear_session()
    try:
        with SafeModeScope(False):  # the configs with Lambda layers are ours
            model = keras.models.model_from_json(config)
        model.set_weights(group("w"))
        xs = group("x")
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    except Exception as e:  # noqa: BLE001 (recorded, the test reports it)
        return {"error": f"{type(e).__name__}: {e}"}
    ys = ys if isinstance(ys, list) else [ys]
    expected = group("y")
    if len(ys) != len(expected):
        return {"error": f"tf_keras gave {len(ys)} outputs, gpunet {len(expected)}"}
    return {"max_abs_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(ys, expected))}


def main():
    path = os.path.join(HERE, "gpunet_json_reference.json")
    with open(path) as f:
        document = json.load(f)
    arrays = dict(np.load(os.path.join(HERE, "gpunet_json_reference.npz")))
    document["tf_keras_check"] = {"tf_keras": keras.__version__,
                                  "results": {name: check(name, config, arrays)
                                              for name, config in sorted(document["models"].items())}}
    with open(path, "w") as f:
        json.dump(document, f, indent=0, sort_keys=True)
    print(json.dumps(document["tf_keras_check"], indent=1))


if __name__ == "__main__":
    main()
