"""model.save / load_model / save_weights / load_weights: round trips, a fresh process, corrupt
files, mismatched architectures, Lambda and safe_mode."""
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


def small_functional():
    a, b = L.Input((4,), name="a"), L.Input((3,), name="b")
    h = L.concatenate([L.Dense(5, activation="relu")(a), L.BatchNormalization()(L.Dense(5)(b))])
    return gn.models.Model([a, b], L.Dense(2, activation="softmax", name="probs")(L.Dropout(0.1)(h)))


def data():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((6, 4)).astype("float32"), rng.standard_normal((6, 3)).astype("float32")]


def test_functional_save_and_load_in_a_fresh_process(tmp_path):
    model = small_functional()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(data(), np.eye(2, dtype="float32")[[0, 1, 0, 1, 0, 1]], epochs=2, verbose=0)
    path = str(tmp_path / "model")
    model.save(path)
    assert sorted(os.listdir(tmp_path)) == ["model.json", "model.safetensors"]
    np.save(tmp_path / "x0.npy", data()[0])
    np.save(tmp_path / "x1.npy", data()[1])
    np.save(tmp_path / "expected.npy", model.predict(data()))
    program = (f"import numpy as np, gpunet as gn; d={str(tmp_path)!r}; m=gn.models.load_model(d+'/model'); "
               f"p=m.predict([np.load(d+'/x0.npy'), np.load(d+'/x1.npy')]); "
               f"assert np.array_equal(p, np.load(d+'/expected.npy')), p; "
               f"print(m.metrics_names if m.optimizer else None, [l.name for l in m.layers])")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "probs" in done.stdout


def test_sequential_round_trip_in_process(tmp_path):
    model = gn.models.Sequential([L.Dense(3, input_shape=(2,), activation="tanh"), L.Dense(1)])
    model.compile(gn.optimizers.RMSprop(0.01), "mse")
    x = np.ones((4, 2), "float32")
    path = str(tmp_path / "seq")
    model.save(path)
    K.clear_session()
    loaded = gn.models.load_model(path)
    assert [type(item).__name__ for item in loaded.layers] == ["Dense", "Dense"]
    assert isinstance(loaded.optimizer, gn.optimizers.RMSprop) and loaded.optimizer.learning_rate == 0.01
    loaded.fit(x, np.zeros((4, 1), "float32"), epochs=1, verbose=0)  # compiled from the file


@pytest.mark.parametrize("damage", ["truncate", "flip-byte", "header"])
def test_damaged_weights_file_is_refused_and_nothing_is_loaded(tmp_path, damage):
    model = gn.models.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(2)])
    path = str(tmp_path / "w.safetensors")
    model.save_weights(path)
    raw = bytearray(open(path, "rb").read())
    if damage == "truncate":
        raw = raw[:len(raw) - 7]
    elif damage == "flip-byte":
        raw[-3] ^= 0xFF  # inside the last tensor
    else:
        raw[12] = ord("#")
    open(path, "wb").write(bytes(raw))
    before = model.get_weights()
    model.set_weights([w + 1 for w in before])
    moved = model.get_weights()
    with pytest.raises(gn.errors.DataLossError, match="corrupt|truncated"):
        model.load_weights(path)
    for a, b in zip(moved, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_file_whose_weights_changed_is_refused(tmp_path):
    model = gn.models.Sequential([L.Dense(3, input_shape=(2,))])
    model.save(str(tmp_path / "m"))
    other = gn.models.Sequential([L.Dense(3, input_shape=(2,))])
    other.save_weights(str(tmp_path / "m.safetensors"))
    with pytest.raises(gn.errors.DataLossError, match="does not match"):
        gn.models.load_model(str(tmp_path / "m"))


def test_load_weights_into_other_architecture_names_first_mismatch(tmp_path):
    model = gn.models.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(2)])
    model.save_weights(str(tmp_path / "w"))
    other = gn.models.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(4)])
    with pytest.raises(ValueError, match=r"weight #2 dense_3/kernel has shape \(3, 4\), but the file's weight #2 "
                                         r"dense_1/kernel has shape \(3, 2\)"):
        other.load_weights(str(tmp_path / "w.safetensors"))
    fewer = gn.models.Sequential([L.Dense(3, input_shape=(2,))])
    with pytest.raises(ValueError, match=r"file's weight #2 dense_1/kernel has no counterpart"):
        fewer.load_weights(str(tmp_path / "w.safetensors"))
    same = gn.models.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(2)])
    same.load_weights(str(tmp_path / "w.safetensors"))
    for a, b in zip(model.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lambda_needs_safe_mode_false_and_round_trips_from_python_c(tmp_path):
    path = str(tmp_path / "lam")
    program = ("import gpunet as gn; L=gn.layers; i=L.Input((4,)); "
               "m=gn.models.Model(i, L.Lambda(lambda t: t * 2.0 + 1.0, output_shape=(4,))(i)); "
               f"m.save({path!r})")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert done.returncode == 0, done.stderr
    with pytest.raises(ValueError, match="safe_mode=False"):
        gn.models.load_model(path)
    model = gn.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(model.predict(np.ones((2, 4), "float32")), np.full((2, 4), 3.0, "float32"))


def test_save_writes_atomically_and_holds_no_pickle(tmp_path):
    model = small_functional()
    model.save(str(tmp_path / "m"))
    document = json.load(open(tmp_path / "m.json"))
    assert document["model_config"]["class_name"] == "Functional"
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]
    assert b"pickle" not in open(tmp_path / "m.safetensors", "rb").read()[:200]


def test_subclassed_model_config_is_refused_but_weights_save(tmp_path):
    class Tiny(gn.models.Model):
        def __init__(self):
            super().__init__()
            self.d = L.Dense(2)

        def call(self, x, training=None):
            return self.d(x)
    model = Tiny()
    model.predict(np.ones((1, 3), "float32"))
    with pytest.raises(NotImplementedError, match="subclassed"):
        model.save(str(tmp_path / "t"))
    model.save_weights(str(tmp_path / "t"))
    assert os.path.exists(tmp_path / "t.safetensors")
