"""Model configs shared with tf_keras 2.21: ``gn.models.model_from_json`` rebuilds models that tf_keras wrote with
``model.to_json()`` (tests/models/data/keras_json_reference.json, made by make_keras_json_reference.py with random
weights, a fixed input and tf_keras's outputs for it in keras_json_reference.npz), and the rebuilt model gives the
same outputs for the same weights on every device."""
import base64
import importlib.util
import json
import marshal
import os

import numpy as np
import pytest

import gpunet as gn

DATA = os.path.join(os.path.dirname(__file__), "data")
with open(os.path.join(DATA, "keras_json_reference.json")) as f:
    REF = json.load(f)["models"]
ARRAYS = dict(np.load(os.path.join(DATA, "keras_json_reference.npz")))


def arrays(name, prefix):
    """The fixture's arrays ``<name>/<prefix>NN`` in order."""
    keys = sorted(k for k in ARRAYS if k.startswith(f"{name}/{prefix}"))
    return [ARRAYS[k] for k in keys]


def load(name, device):
    """The tf_keras model ``name`` rebuilt by gpunet on ``device``, with the fixture's weights."""
    with gn.device(device):
        model = gn.models.model_from_json(REF[name], safe_mode=False)  # lambda_func has Lambda layers
    model.set_weights(arrays(name, "w"))
    return model


def predict(model, name):
    xs = arrays(name, "x")
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return ys if isinstance(ys, list) else [ys]


@pytest.mark.parametrize("name", sorted(REF))
def test_tf_keras_json_loads_with_same_outputs(name, device):
    model = load(name, device)
    expected = arrays(name, "y")
    got = predict(model, name)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


# -- gpunet's JSON in tf_keras ----------------------------------------------------------------------------------------
# gpunet_json_reference.json holds gpunet's to_json of models built with gpunet's API and of the tf_keras models
# above rebuilt by gpunet; check_gpunet_json_in_tf_keras.py recorded there what tf_keras 2.21 made of each.
with open(os.path.join(DATA, "gpunet_json_reference.json")) as f:
    GPUNET_REF = json.load(f)
GPUNET_ARRAYS = dict(np.load(os.path.join(DATA, "gpunet_json_reference.npz")))
_spec = importlib.util.spec_from_file_location("make_gpunet_json_reference",
                                               os.path.join(DATA, "make_gpunet_json_reference.py"))
MAKE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MAKE)


def gpunet_arrays(name, prefix):
    keys = sorted(k for k in GPUNET_ARRAYS if k.startswith(f"{name}/{prefix}"))
    return [GPUNET_ARRAYS[k] for k in keys]


def test_tf_keras_loaded_every_gpunet_config_with_same_outputs():
    results = GPUNET_REF["tf_keras_check"]["results"]
    assert sorted(results) == sorted(GPUNET_REF["models"])
    assert {f"from_tf_keras/{name}" for name in REF} <= set(results)
    failed = {name: r for name, r in results.items() if "error" in r or r["max_abs_diff"] > 1e-5}
    assert not failed


@pytest.mark.parametrize("name", sorted(GPUNET_REF["models"]))
def test_to_json_is_the_config_tf_keras_checked(name):
    """gpunet still writes, for the same model, the JSON that tf_keras loaded (re-run the two scripts when it
    changes on purpose)."""
    if name.startswith("from_tf_keras/"):
        model = gn.models.model_from_json(REF[name.split("/", 1)[1]], safe_mode=False)
    else:
        model = getattr(MAKE, name)()
    assert without_code_origin(json.loads(model.to_json())) == without_code_origin(
        json.loads(GPUNET_REF["models"][name]))


def without_code_origin(value):
    """``value`` with each Lambda function's marshalled code replaced by its bytecode and constants (the code object
    also records the file the function came from, which differs between checkouts)."""
    if isinstance(value, dict):
        if value.get("class_name") == "Lambda":
            config = dict(value["config"])
            code = marshal.loads(base64.b64decode(config["function"][0]))
            config["function"] = [code.co_code.hex(), repr(code.co_consts)] + config["function"][1:]
            return {**value, "config": config}
        return {k: without_code_origin(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_code_origin(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(GPUNET_REF["models"]))
def test_gpunet_json_round_trip_same_outputs(name, device):
    with gn.device(device):
        model = gn.models.model_from_json(GPUNET_REF["models"][name], safe_mode=False)
    model.set_weights(gpunet_arrays(name, "w"))
    xs = gpunet_arrays(name, "x")
    got = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    for g, e in zip(got if isinstance(got, list) else [got], gpunet_arrays(name, "y"), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


# -- what cannot be honoured is refused; what carries no behaviour is accepted ---------------------------------------
def dense_seq_with(**changes):
    """tf_keras's dense_seq JSON with ``changes`` merged into its first Dense layer's config."""
    document = json.loads(REF["dense_seq"])
    document["config"]["layers"][1]["config"].update(changes)
    return json.dumps(document)


@pytest.mark.parametrize("key, value", [
    ("renorm", True),
    ("dtype", {"module": "keras.mixed_precision", "class_name": "Policy", "config": {"name": "mixed_float16"}}),
])
def test_argument_gpunet_cannot_honour_is_refused(key, value):
    with pytest.raises(ValueError, match=f"Layer 'd1' \\(Dense\\): .*{key if key != 'dtype' else 'mixed_float16'}"):
        gn.models.model_from_json(dense_seq_with(**{key: value}))


@pytest.mark.parametrize("layer_index, key, message", [
    (2, "time_major", "argument time_major=True is not supported"), (0, "ragged", "argument ragged=True"),
    (0, "sparse", "an InputLayer with sparse=True is not supported")])
def test_layout_and_input_kind_arguments_are_not_ignored(layer_index, key, message):
    document = json.loads(REF["embedding_lstm"])
    assert document["config"]["layers"][layer_index]["config"][key] is False
    document["config"]["layers"][layer_index]["config"][key] = True
    with pytest.raises(ValueError, match=message):
        gn.models.model_from_json(json.dumps(document))


def test_inert_arguments_take_any_value():
    document = json.loads(REF["embedding_lstm"])
    document["config"]["layers"][2]["config"].update(implementation=1, unroll=True)
    model = gn.models.model_from_json(json.dumps(document))
    model.set_weights(arrays("embedding_lstm", "w"))
    np.testing.assert_allclose(predict(model, "embedding_lstm")[0], arrays("embedding_lstm", "y")[0], atol=1e-5)


def test_refused_argument_names_layer_argument_and_value():
    document = json.loads(REF["embedding_lstm"])
    document["config"]["layers"][2]["config"]["stateful"] = True
    with pytest.raises(gn.layers.keras_config.UnsupportedKerasArgument,
                       match=r"Layer 'lstm' \(LSTM\): argument stateful=True is not supported by gpunet's LSTM, "
                             r"and ignoring it would change what the model computes"):
        gn.models.model_from_json(json.dumps(document))


@pytest.mark.parametrize("key, value, message", [
    ("kernel_initializer", {"class_name": "Identity", "config": {"gain": 1.0}}, "Unknown initializer: 'Identity'"),
    ("kernel_initializer", {"class_name": "RandomNormal", "config": {"scale": 2}}, "cannot take the config"),
    ("kernel_regularizer", {"class_name": "OrthogonalRegularizer", "config": {}}, "Unknown regularizer"),
    ("activation", "hard_silu", "Unknown activation function: 'hard_silu'"),
])
def test_unknown_initializer_regularizer_activation_refused(key, value, message):
    with pytest.raises(ValueError, match=message):
        gn.models.model_from_json(dense_seq_with(**{key: value}))


def test_arguments_at_tf_keras_defaults_and_bookkeeping_keys_are_accepted():
    document = json.loads(dense_seq_with(activity_regularizer=None, groups=1))
    document["config"]["layers"][1]["shared_object_id"] = 3
    model = gn.models.model_from_json(json.dumps(document))
    assert model.layers[0].get_config()["units"] == 5


def test_initializer_config_builds_its_distribution_and_round_trips():
    spec = {"class_name": "RandomUniform", "config": {"minval": 2.0, "maxval": 3.0, "seed": 4}}
    layer = gn.layers.Dense(500, kernel_initializer=spec, input_shape=(4,))
    model = gn.models.Sequential([layer])
    kernel = model.get_weights()[0]
    assert kernel.min() >= 2.0 and kernel.max() < 3.0 and abs(kernel.mean() - 2.5) < 0.02
    assert layer.get_config()["kernel_initializer"] == spec
    default = gn.layers.Dense(2000, kernel_initializer={"class_name": "RandomNormal", "config": {}}, input_shape=(4,))
    assert abs(gn.models.Sequential([default]).get_weights()[0].std() - 0.05) < 0.005  # tf_keras's default stddev


def test_regularizers_in_tf_keras_format_add_their_losses():
    model = load("dense_seq", "/cpu:0")
    kernel, bias = model.get_weights()[:2]
    expected = np.float32(0.009999999776482582) * np.sum(kernel ** 2) + np.float32(0.019999999552965164) * \
        np.sum(np.abs(bias))
    got = gn.backend.get_session().run(model.losses)
    np.testing.assert_allclose(sum(got), expected, rtol=1e-5)
    assert model.layers[0].get_config()["kernel_regularizer"] == {"class_name": "L1L2",
                                                                 "config": {"l1": 0.0, "l2": 0.009999999776482582}}
    old_format = gn.layers.Dense(2, kernel_regularizer={"l1": 0.5, "l2": 0.0})  # configs older gpunet wrote
    assert old_format.kernel_regularizer.l1 == 0.5


def test_nested_model_calls_numbered_as_tf_keras_and_older_gpunet_configs_load():
    config = json.loads(GPUNET_REF["models"]["nested_shared"])["config"]
    inner = next(spec for spec in config["layers"] if spec["name"] == "inner")
    dense = next(spec for spec in config["layers"] if spec["name"] == "add")
    assert [entry[0][:3] for entry in inner["inbound_nodes"]] == [["a", 0, 0], ["b", 0, 0]]
    assert [item[:3] for item in dense["inbound_nodes"][0]] == [["inner", 1, 0], ["inner", 2, 0]]
    # the numbering gpunet wrote before (from 0) still loads to the same model
    text = GPUNET_REF["models"]["nested_shared"].replace('["inner", 1, 0', '["inner", 0, 0').replace(
        '["inner", 2, 0', '["inner", 1, 0')
    assert text != GPUNET_REF["models"]["nested_shared"]
    model = gn.models.model_from_json(text)
    model.set_weights(gpunet_arrays("nested_shared", "w"))
    got = model.predict(gpunet_arrays("nested_shared", "x"), verbose=0)
    for g, e in zip(got, gpunet_arrays("nested_shared", "y"), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


def test_weights_listed_layer_by_layer_as_tf_keras():
    model = load("batchnorm_func", "/cpu:0")
    names = [w.name for w in model.weights]
    assert names[:3] == ["batch_normalization/gamma:0", "batch_normalization/moving_mean:0",
                         "batch_normalization/moving_variance:0"]
    assert [w.name for w in model.trainable_weights][:2] == ["batch_normalization/gamma:0",
                                                             "layer_normalization/beta:0"]


def test_weights_file_in_the_earlier_trainable_first_order_loads(tmp_path):
    from safetensors.numpy import save as st_save
    from gpunet.models import saving
    model = load("batchnorm_func", "/cpu:0")
    keys, values = saving.weight_keys(model), model.get_weights()
    order = [i for i, w in enumerate(model.weights) if w.trainable] + \
        [i for i, w in enumerate(model.weights) if not w.trainable]
    assert order != list(range(len(order)))
    old_keys, old_values = [keys[i] for i in order], [values[i] for i in order]
    meta = {"format": saving.FORMAT, "weights": json.dumps(old_keys), "sha256": saving._digest(old_keys, old_values)}
    path = tmp_path / "old.safetensors"
    path.write_bytes(st_save({f"{i:05d}:{k}": a for i, (k, a) in enumerate(zip(old_keys, old_values))},
                             metadata=meta))
    fresh = gn.models.model_from_json(REF["batchnorm_func"])
    fresh.load_weights(str(path))
    for got, expected in zip(fresh.get_weights(), values, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_lambda_from_tf_keras_needs_safe_mode_off():
    with pytest.raises(ValueError, match="Layer affine is a Lambda layer: loading it would run Python code"):
        gn.models.model_from_json(REF["lambda_func"])


@pytest.mark.parametrize("change, message", [
    ({"function_type": "function", "function": "my_function"}, "its function is the named function 'my_function'"),
    ({"output_shape_type": "lambda"}, "an output_shape given as a function cannot be loaded"),
])
def test_lambda_forms_gpunet_cannot_rebuild_are_refused(change, message):
    document = json.loads(REF["lambda_func"])
    document["config"]["layers"][1]["config"].update(change)
    with pytest.raises(ValueError, match=message):
        gn.models.model_from_json(json.dumps(document), safe_mode=False)


def test_keras3_batch_shape_and_dtype_policy_accepted():
    document = json.loads(REF["dense_seq"])
    input_config = document["config"]["layers"][0]["config"]
    input_config["batch_shape"] = input_config.pop("batch_input_shape")
    document["config"]["layers"][1]["config"]["dtype"] = {"module": "keras", "class_name": "DTypePolicy",
                                                          "config": {"name": "float32"}, "registered_name": None}
    model = gn.models.model_from_json(json.dumps(document))
    assert model.input_shape == (None, 4) and model.layers[0].dtype == "float32"


def test_lambda_config_older_gpunet_wrote_still_loads():
    from gpunet.layers.core import dump_function
    encoded, defaults, _ = dump_function(lambda t, k=2.0: t * k)
    layer = gn.layers.Lambda.from_config({"name": "old", "function": {"code": encoded, "defaults": defaults},
                                          "output_shape": None, "mask": None, "arguments": {"k": 3.0}},
                                         safe_mode=False)
    out = gn.backend.get_session().run(layer(gn.constant(np.ones((2, 2), "float32"))))
    np.testing.assert_array_equal(out, np.full((2, 2), 3.0, "float32"))


@pytest.mark.parametrize("name, layer_index, penalties", [
    ("conv2d_seq", 0, [("l2", 0), ("l1", 1)]),   # Conv2D kernel_regularizer=l2(0.01), bias_regularizer=l1(0.01)
    ("embedding_lstm", 0, [("l2", 0)]),          # Embedding embeddings_regularizer=l2(0.001)
])
def test_conv_and_embedding_regularizers_from_tf_keras_add_their_losses(name, layer_index, penalties):
    model = load(name, "/cpu:0")
    layer = model.layers[layer_index]
    weights = layer.get_weights()
    configs = {key: value for key, value in layer.get_config().items() if key.endswith("_regularizer") and value}
    factors = [config["config"] for config in configs.values()]
    expected = sum(np.float32(factor[kind]) * (np.sum(weights[i] ** 2) if kind == "l2" else np.sum(np.abs(weights[i])))
                   for (kind, i), factor in zip(penalties, factors, strict=True))
    np.testing.assert_allclose(sum(gn.backend.get_session().run(layer.losses)), expected, rtol=1e-5)
