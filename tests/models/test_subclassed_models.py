"""Subclassed models: save() refuses them before writing anything (pointing to save_weights), and the
placeholders made from the first data keep its dtype (integer ids stay integers for Embedding)."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L


class Tagger(gn.models.Model):
    """Embedding -> mean over the sequence -> Dense: needs integer inputs."""

    def __init__(self):
        super().__init__()
        self.embed = L.Embedding(30, 8)
        self.out = L.Dense(2, activation="softmax")

    def call(self, ids, training=None):
        return self.out(gn.reduce_mean(self.embed(ids), axis=1))


def test_save_raises_before_writing_and_points_to_save_weights(tmp_path):
    model = Tagger()
    model.predict(np.ones((1, 4), "int32"))
    with pytest.raises(NotImplementedError, match=r"Model tagger is a subclassed model: .*Use model.save_weights"):
        model.save(str(tmp_path / "t"))
    assert os.listdir(tmp_path) == []
    model.save_weights(str(tmp_path / "t"))
    restored = Tagger()
    restored.predict(np.ones((1, 4), "int32"))
    restored.load_weights(str(tmp_path / "t"))
    ids = np.arange(8, dtype="int32").reshape(2, 4)
    np.testing.assert_array_equal(restored.predict(ids), model.predict(ids))


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32", "float64"])
def test_placeholders_keep_the_dtype_of_the_first_data(dtype):
    model = Tagger()
    ids = (np.arange(12).reshape(3, 4) % 30).astype(dtype)
    model.predict(ids)
    assert model.inputs[0].dtype == gn.as_dtype(dtype)
    assert model.inputs[0].shape.as_list() == [None, 4]


def test_integer_inputs_train_an_embedding():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30, size=(256, 1)).astype("int64")
    labels = (ids[:, 0] < 15).astype("int64")
    model = Tagger()
    model.compile(gn.optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(ids, labels, epochs=20, batch_size=64, verbose=0)
    assert model.inputs[0].dtype == gn.int64
    assert model.evaluate(ids, labels, verbose=0)[1] > 0.9
