"""multi_gpu_model: template on /cpu:0, the batch split Keras-2 style, outputs merged on /cpu:0;
fit/evaluate/predict equal the single-device model; shared weights; clear errors."""
import numpy as np
import pytest
from safetensors.numpy import load_file

import gpunet as gn
from gpunet.parallel import multi_gpu_model
from tests.conftest import no_gpu_only

from .nets import data, initial_weights

KERAS_OPTIMIZERS = {"sgd": lambda: gn.optimizers.SGD(0.1), "momentum": lambda: gn.optimizers.SGD(0.05, momentum=0.9),
                    "adam": lambda: gn.optimizers.Adam(0.01)}


def template():
    with gn.device("/cpu:0"):
        inputs = gn.layers.Input(shape=(8,))
        hidden = gn.layers.Dense(16, activation="relu")(inputs)
        model = gn.models.Model(inputs, gn.layers.Dense(3, activation="softmax")(hidden))
    model.set_weights(initial_weights())
    return model


def trained_weights(gpus, optimizer, steps, x, y, batch_size, variables_on="cpu"):
    gn.reset_default_graph()
    gn.backend.clear_session()
    model = template()
    trained = model if gpus is None else multi_gpu_model(model, gpus=gpus, variables_on=variables_on)
    trained.compile(KERAS_OPTIMIZERS[optimizer](), "sparse_categorical_crossentropy")
    for step in range(steps):
        rows = slice(step * batch_size % len(x), step * batch_size % len(x) + batch_size)
        trained.train_on_batch(x[rows], y[rows])
    return model.get_weights()


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("optimizer", sorted(KERAS_OPTIMIZERS))
@pytest.mark.parametrize("gpus", [1, 2, 4])
def test_one_step_of_multi_gpu_model_equals_the_template_on_the_global_batch(vgpus, gpus, optimizer, variables_on):
    x, y = data(22)
    want = trained_weights(None, optimizer, 1, x, y, 22)
    got = trained_weights(gpus, optimizer, 1, x, y, 22, variables_on)
    for g, w, w0 in zip(got, want, initial_weights()):
        assert np.abs(w - w0).max() > 1e-4
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("optimizer", sorted(KERAS_OPTIMIZERS))
def test_after_100_steps_multi_gpu_model_agrees_with_the_template(vgpus, optimizer, variables_on):
    x, y = data(220)
    want = trained_weights(None, optimizer, 100, x, y, 22)
    got = trained_weights(4, optimizer, 100, x, y, 22, variables_on)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_placement_split_merge_and_a_replica_with_no_rows(vgpus):
    model = template()
    parallel = multi_gpu_model(model, gpus=2)
    x = data(1)[0]  # 1 row on 2 replicas: replica 0 gets none
    np.testing.assert_allclose(parallel.predict(x), model.predict(x), rtol=1e-6)
    sess = gn.backend.get_session()
    report = sess.placement_report(parallel.outputs[0], {parallel.inputs[0]: x})
    matmuls = sorted(row.assigned.rsplit("/", 1)[1] for row in report.rows if row.type == "MatMul")
    assert matmuls == ["device:GPU:0", "device:GPU:0", "device:GPU:1", "device:GPU:1"]
    merge = report.row(parallel.outputs[0].op.name)
    assert merge.type == "ConcatV2" and merge.assigned.endswith("CPU:0")
    assert {row.assigned.rsplit("/", 1)[1] for row in report.rows if row.type == "VariableV2"} == {"device:CPU:0"}
    assert parallel.weights == model.weights  # the same variable objects


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
def test_fit_evaluate_predict_and_saving_share_the_template_weights(vgpus, tmp_path, capsys, variables_on):
    model = template()
    parallel = multi_gpu_model(model, gpus=[0, 1], variables_on=variables_on)
    parallel.compile(gn.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(64)
    history = parallel.fit(x, y, batch_size=16, epochs=2, verbose=2,
                           callbacks=[gn.callbacks.ModelCheckpoint(str(tmp_path / "ckpt"), monitor="loss")])
    out = capsys.readouterr().out
    assert len(history.history["loss"]) == 2 and history.history["loss"][1] < history.history["loss"][0]
    assert all(s > 0 for s in history.history["samples_per_sec"])
    assert out.count("samples_per_sec: ") == 2
    loss, accuracy = parallel.evaluate(x, y, batch_size=20, verbose=0)
    model.compile(gn.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert [loss, accuracy] == pytest.approx(model.evaluate(x, y, batch_size=64, verbose=0), rel=1e-5)
    np.testing.assert_allclose(parallel.predict(x, batch_size=7), model.predict(x), rtol=1e-5, atol=1e-6)
    parallel.save_weights(str(tmp_path / "p"))
    model.save_weights(str(tmp_path / "t"))
    saved_p, saved_t = load_file(str(tmp_path / "p.safetensors")), load_file(str(tmp_path / "t.safetensors"))
    assert sorted(saved_p) == sorted(saved_t) and len(saved_t) >= 4
    for key in saved_t:
        np.testing.assert_array_equal(saved_p[key], saved_t[key])
    restored = gn.models.load_model(str(tmp_path / "ckpt"))
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_asking_for_more_gpus_than_exist_names_both(vgpus):
    model = template()
    with pytest.raises(ValueError, match=r"Asked for GPUs \['/gpu:0', '/gpu:1', '/gpu:2'\] \(3\), but this "
                                         r"machine has 2 GPU\(s\): /gpu:0, /gpu:1"):
        multi_gpu_model(model, gpus=3)
    with pytest.raises(ValueError, match=r"Asked for GPUs \['/gpu:5'\] \(1\), but this machine has 2"):
        multi_gpu_model(model, gpus=[5])
    with pytest.raises(TypeError, match="gpus must be a count or a list"):
        multi_gpu_model(model, gpus=True)


@no_gpu_only
def test_without_gpus_multi_gpu_model_says_there_are_none():
    with pytest.raises(ValueError, match=r"but this machine has 0 GPU\(s\): none"):
        multi_gpu_model(template(), gpus=2)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_mirrored_copies_live_on_their_gpus(vgpus):
    model = template()
    parallel = multi_gpu_model(model, gpus=2, variables_on="gpu")
    x = data(6)[0]
    np.testing.assert_allclose(parallel.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)  # copies = template
    report = gn.backend.get_session().placement_report(parallel.outputs[0], {parallel.inputs[0]: x})
    kernels = sorted(row.assigned.rsplit("/", 1)[1] for row in report.rows
                     if row.type == "VariableV2" and row.op.endswith("kernel"))
    assert kernels == ["device:GPU:0", "device:GPU:0", "device:GPU:1", "device:GPU:1"]
    assert not any("kernel" in c.tensor.name or "bias" in c.tensor.name for c in report.copies)
    with pytest.raises(ValueError, match="variables_on must be 'cpu' or 'gpu', got 'tpu'"):
        multi_gpu_model(model, gpus=2, variables_on="tpu")


# -- layer losses: regularizers and add_loss of weights, counted once whatever the replicas ----------
def penalised_template(device="/cpu:0"):
    """The template with an L2 kernel regularizer on the hidden Dense and an add_loss of the output bias."""
    with gn.device(device):
        inputs = gn.layers.Input(shape=(8,))
        hidden = gn.layers.Dense(16, activation="relu", kernel_regularizer=gn.layers.regularizers.l2(0.05))(inputs)
        last = gn.layers.Dense(3, activation="softmax")
        model = gn.models.Model(inputs, last(hidden))
        model.add_loss(0.2 * gn.reduce_sum(gn.square(last.bias)))
    model.set_weights(initial_weights())
    return model


def penalised_run(gpus, optimizer, steps, x, y, batch_size, variables_on="cpu", relocate=False):
    """The template's weights after ``steps`` steps, the losses train_on_batch reported and evaluate's."""
    gn.reset_default_graph()
    gn.backend.clear_session()
    model = penalised_template(None if relocate else "/cpu:0")
    trained = model if gpus is None else multi_gpu_model(model, gpus=gpus, variables_on=variables_on,
                                                         cpu_relocation=relocate)
    model = trained.template if relocate else model
    trained.compile(KERAS_OPTIMIZERS[optimizer](), "sparse_categorical_crossentropy")
    reported = []
    for step in range(steps):
        rows = slice(step * batch_size % len(x), step * batch_size % len(x) + batch_size)
        reported.append(trained.train_on_batch(x[rows], y[rows]))
    return model.get_weights(), reported, trained.evaluate(x, y, batch_size=batch_size, verbose=0)


def data_loss(x, y, weights):
    """The mean cross-entropy of the MLP (NumPy): what the reported loss holds besides the penalties."""
    hidden = np.maximum(x @ weights[0] + weights[1], 0)
    logits = hidden @ weights[2] + weights[3]
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("gpus", [1, 2, 4])
def test_one_step_with_layer_losses_equals_the_template(vgpus, gpus, optimizer, variables_on):
    x, y = data(22)
    want, want_loss, want_eval = penalised_run(None, optimizer, 1, x, y, 22)
    got, got_loss, got_eval = penalised_run(gpus, optimizer, 1, x, y, 22, variables_on)
    w0 = initial_weights()
    penalty = 0.05 * np.sum(w0[0] ** 2) + 0.2 * np.sum(w0[3] ** 2)
    np.testing.assert_allclose(want_loss[0], data_loss(x, y, w0) + penalty, rtol=1e-5)  # the reference itself
    np.testing.assert_allclose(got_loss[0], want_loss[0], rtol=1e-5)
    np.testing.assert_allclose(got_eval, want_eval, rtol=1e-5)
    for g, w, before in zip(got, want, w0):
        assert np.abs(w - before).max() > 1e-4
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_after_60_steps_with_layer_losses_multi_gpu_model_agrees_with_the_template(vgpus, optimizer, variables_on):
    x, y = data(220)
    want, want_loss, want_eval = penalised_run(None, optimizer, 60, x, y, 22)
    got, got_loss, got_eval = penalised_run(4, optimizer, 60, x, y, 22, variables_on)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-4)
    np.testing.assert_allclose(got_eval, want_eval, rtol=1e-4)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_a_layer_loss_of_the_input_cannot_be_replicated(vgpus):
    model = template()
    model.add_loss(gn.reduce_mean(gn.square(model.inputs[0])))
    for variables_on in ("cpu", "gpu"):
        with pytest.raises(ValueError, match=rf"the layer loss {model.losses[0].name} of model {model.name} depends "
                                             rf"on the input {model.inputs[0].name} \(Placeholder\); only losses "
                                             r"computed from weights alone"):
            multi_gpu_model(model, gpus=2, variables_on=variables_on)


# -- cpu_relocation=True: a template built outside any device scope, rebuilt under /cpu:0 ------------
def unplaced_template(set_weights=True):
    inputs = gn.layers.Input(shape=(8,))
    hidden = gn.layers.Dense(16, activation="relu")(inputs)
    model = gn.models.Model(inputs, gn.layers.Dense(3, activation="softmax")(hidden))
    if set_weights:
        model.set_weights(initial_weights())
    return model


def variable_devices(model, x):
    report = gn.backend.get_session().placement_report(model.outputs[0], {model.inputs[0]: x})
    return {row.assigned.rsplit("/", 1)[1] for row in report.rows if row.type == "VariableV2"}


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
def test_cpu_relocation_puts_the_template_weights_on_the_cpu_and_keeps_their_values(vgpus, variables_on):
    model = unplaced_template()
    x, y = data(10)
    assert variable_devices(model, x) == {"device:GPU:0"}  # default placement: why relocation is asked for
    parallel = multi_gpu_model(model, gpus=2, cpu_relocation=True, variables_on=variables_on)
    assert variable_devices(parallel.template, x) == {"device:CPU:0"}
    assert parallel.template is not model and not set(map(id, parallel.weights)) & set(map(id, model.weights))
    if variables_on == "cpu":
        assert variable_devices(parallel, x) == {"device:CPU:0"}
    np.testing.assert_allclose(parallel.predict(x), model.predict(x), rtol=1e-6)
    parallel.compile(gn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    parallel.train_on_batch(x, y)
    model.compile(gn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    for got, want, before in zip(parallel.template.get_weights(), model.get_weights(), initial_weights()):
        assert np.abs(want - before).max() > 1e-4
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_cpu_relocation_of_an_uninitialised_model_carries_its_initial_weights(vgpus):
    model = unplaced_template(set_weights=False)  # its variables not initialised in the Keras session yet
    parallel = multi_gpu_model(model, gpus=2, cpu_relocation=True)
    x = data(5)[0]
    np.testing.assert_allclose(parallel.predict(x), model.predict(x), rtol=1e-6)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_cpu_relocation_of_a_subclassed_model_says_what_to_do(vgpus):
    class Tiny(gn.models.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = gn.layers.Dense(2)

        def call(self, x, training=None):
            return self.dense(x)
    model = Tiny()
    model.predict(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"multi_gpu_model\(cpu_relocation=True\): model tiny cannot be rebuilt "
                                         r"from its config \(.*subclassed.*\); build it under gn.device\('/cpu:0'\) "
                                         r"and pass cpu_relocation=False"):
        multi_gpu_model(model, gpus=2, cpu_relocation=True)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
def test_cpu_relocation_keeps_the_layer_losses_once(vgpus, variables_on):
    x, y = data(22)
    want, want_loss, want_eval = penalised_run(None, "adam", 3, x, y, 22)
    got, got_loss, got_eval = penalised_run(2, "adam", 3, x, y, 22, variables_on, relocate=True)
    np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(got_eval, want_eval, rtol=1e-5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


class PenalisedInCall(gn.layers.Dense):
    """A Dense adding a penalty of its kernel each time it is called (so once per replica's call)."""

    def call(self, inputs):
        self.add_loss(0.1 * gn.reduce_sum(gn.square(self.kernel)))
        return super().call(inputs)


def called_penalty_run(gpus, x, y):
    gn.reset_default_graph()
    gn.backend.clear_session()
    with gn.device("/cpu:0"):
        inputs = gn.layers.Input(shape=(8,))
        hidden = gn.layers.Dense(16, activation="relu")(inputs)
        model = gn.models.Model(inputs, PenalisedInCall(3, activation="softmax")(hidden))
    model.set_weights(initial_weights())
    trained = model if gpus is None else multi_gpu_model(model, gpus=gpus)
    trained.compile(gn.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model.get_weights(), trained.train_on_batch(x, y), trained.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("gpus", [2, 4])
def test_a_loss_added_in_call_counts_once_although_each_replica_calls_the_layer(vgpus, gpus):
    x, y = data(22)
    want, want_loss, want_eval = called_penalty_run(None, x, y)
    got, got_loss, got_eval = called_penalty_run(gpus, x, y)
    assert [got_loss, got_eval] == pytest.approx([want_loss, want_eval], rel=1e-5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)
