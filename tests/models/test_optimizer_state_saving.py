"""model.save keeps the optimizer's state (iterations and slots, include_optimizer=True as tf_keras), so
training resumed after load_model in a fresh process matches uninterrupted training exactly."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPTIMIZERS = {"adam": lambda: gn.optimizers.Adam(0.01, amsgrad=True),
              "rmsprop": lambda: gn.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
              "sgd": lambda: gn.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              "adagrad": lambda: gn.optimizers.Adagrad(0.1, decay=0.01),
              "adadelta": lambda: gn.optimizers.Adadelta(1.0), "adamax": lambda: gn.optimizers.Adamax(0.02),
              "nadam": lambda: gn.optimizers.Nadam(0.01)}
RESUME = """
import sys, numpy as np, gpunet as gn
model = gn.models.load_model(sys.argv[1])
data = np.load(sys.argv[2])
model.fit(data["x"], data["y"], batch_size=16, epochs=1, shuffle=False, verbose=0)
np.savez(sys.argv[3], *model.get_weights(), iterations=gn.backend.get_value(model.optimizer.iterations))
"""


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype("float32")
    return x, (x @ rng.standard_normal((5, 2))).astype("float32")


def _model(optimizer):
    gn.set_random_seed(1)
    model = gn.models.Sequential([L.Dense(8, activation="tanh", input_shape=(5,)), L.BatchNormalization(),
                                  L.Dense(2)])
    model.compile(OPTIMIZERS[optimizer](), "mse")
    return model


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_resumed_training_in_a_fresh_process_matches_uninterrupted(tmp_path, optimizer):
    x, y = _data()
    np.savez(tmp_path / "data.npz", x=x, y=y)
    model = _model(optimizer)
    start = model.get_weights()
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(str(tmp_path / "model"))
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    uninterrupted = model.get_weights()
    assert not np.allclose(uninterrupted[0], start[0])

    env = {**os.environ, "PYTHONPATH": ROOT}
    subprocess.run([sys.executable, "-c", RESUME, str(tmp_path / "model"), str(tmp_path / "data.npz"),
                    str(tmp_path / "resumed.npz")], check=True, env=env, cwd=ROOT, timeout=300)
    resumed = np.load(tmp_path / "resumed.npz")
    assert int(resumed["iterations"]) == 12
    for i, expected in enumerate(uninterrupted):
        np.testing.assert_allclose(resumed[f"arr_{i}"], expected, rtol=1e-6, atol=1e-7, err_msg=f"weight {i}")


def test_include_optimizer_false_saves_weights_only(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    model.save(str(tmp_path / "plain"), include_optimizer=False)
    expected = model.predict(x)
    document = json.loads((tmp_path / "plain.json").read_text())
    assert document["training_config"] is None
    from safetensors.numpy import load_file
    assert not [k for k in load_file(str(tmp_path / "plain.safetensors")) if k.startswith("optimizer/")]
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "plain"))
    assert loaded.optimizer is None
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-6)


def test_saved_state_names_every_slot_by_its_weight(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    model.save(str(tmp_path / "m"))
    from safetensors.numpy import load_file
    stored = load_file(str(tmp_path / "m.safetensors"))
    names = sorted(k for k in stored if k.startswith("optimizer/"))
    layers = [f"{layer}/{w}" for layer, ws in (("dense", ("kernel", "bias")), ("batch_normalization",
              ("gamma", "beta")), ("dense_1", ("kernel", "bias"))) for w in ws]
    assert names == sorted(["optimizer/iterations"] + [f"optimizer/{lw}/{s}" for lw in layers
                                                       for s in ("m", "v", "vhat")])
    assert stored["optimizer/iterations"] == 4


def test_never_trained_model_saves_no_optimizer_state_and_loads(tmp_path):
    x, y = _data()
    model = _model("rmsprop")
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    loaded.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert K.get_value(loaded.optimizer.iterations) == 4


def test_altered_optimizer_state_is_refused(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    model.save(str(tmp_path / "m"))
    document = json.loads((tmp_path / "m.json").read_text())
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
    with safe_open(str(tmp_path / "m.safetensors"), "np") as f:
        meta = f.metadata()
    stored = load_file(str(tmp_path / "m.safetensors"))
    stored["optimizer/dense/kernel/m"] = stored["optimizer/dense/kernel/m"] + 1
    save_file(stored, str(tmp_path / "m.safetensors"), metadata=meta)
    import hashlib
    document["weights_sha256"] = hashlib.sha256((tmp_path / "m.safetensors").read_bytes()).hexdigest()
    (tmp_path / "m.json").write_text(json.dumps(document))
    with pytest.raises(gn.errors.DataLossError, match="optimizer state does not match the SHA-256"):
        gn.models.load_model(str(tmp_path / "m"))


def test_recompiling_a_loaded_model_starts_a_fresh_optimizer(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    loaded.compile(gn.optimizers.SGD(0.01), "mse")
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert K.get_value(loaded.optimizer.iterations) == 4


def test_loaded_state_that_does_not_fit_the_optimizer_is_refused(tmp_path):
    x, y = _data()
    model = _model("adam")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    model.save(str(tmp_path / "m"))
    document = json.loads((tmp_path / "m.json").read_text())
    document["training_config"]["optimizer"] = {"class_name": "SGD", "config": {"learning_rate": 0.1,
                                                                                 "momentum": 0.9}}
    (tmp_path / "m.json").write_text(json.dumps(document))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    with pytest.raises(ValueError, match=r"Cannot restore the optimizer state saved in .*m.safetensors: the model's "
                                         r"optimizer has state \['optimizer/batch_normalization/beta/momentum'"):
        loaded.fit(x, y, batch_size=16, epochs=1, verbose=0)
