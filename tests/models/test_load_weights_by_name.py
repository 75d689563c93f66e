"""load_weights(path, by_name=True, skip_mismatch=...) as Keras 2: weights go to layers of the same name."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L


def _saved(tmp_path):
    model = gn.models.Sequential([L.Dense(4, input_shape=(3,), name="shared"), L.Dense(2, name="head")])
    model.predict(np.ones((1, 3), "float32"))
    model.save_weights(str(tmp_path / "w"))
    return model


def test_by_name_loads_matching_layers_and_leaves_the_others(tmp_path):
    source = _saved(tmp_path)
    target = gn.models.Sequential([L.Dense(4, input_shape=(3,), name="shared"), L.Dense(5, name="other"),
                                   L.Dense(1, name="out")])
    target.predict(np.ones((1, 3), "float32"))
    before = target.get_weights()
    target.load_weights(str(tmp_path / "w"), by_name=True)
    after = target.get_weights()
    for mine, theirs in zip(after[:2], source.get_weights()[:2]):
        np.testing.assert_array_equal(mine, theirs)
    for kept, now in zip(before[2:], after[2:]):
        np.testing.assert_array_equal(kept, now)


def test_by_name_shape_mismatch_raises_before_assigning_anything(tmp_path):
    _saved(tmp_path)
    target = gn.models.Sequential([L.Dense(4, input_shape=(3,), name="shared"), L.Dense(3, name="head")])
    target.predict(np.ones((1, 3), "float32"))
    before = target.get_weights()
    with pytest.raises(ValueError, match=r'Layer "head": weight head/kernel has shape \(4, 3\), but the saved '
                                         r'weight head/kernel in .* has shape \(4, 2\)'):
        target.load_weights(str(tmp_path / "w"), by_name=True)
    for kept, now in zip(before, target.get_weights()):
        np.testing.assert_array_equal(kept, now)


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = _saved(tmp_path)
    target = gn.models.Sequential([L.Dense(4, input_shape=(3,), name="shared"),
                                   L.Dense(2, use_bias=False, name="head")])
    target.predict(np.ones((1, 3), "float32"))
    head_before = target.get_weights()[2]
    with pytest.warns(UserWarning, match=r'Skipping loading weights: Layer "head" expects 1 weight\(s\), but the '
                                         r'saved weights in .* have 2 element\(s\)'):
        target.load_weights(str(tmp_path / "w"), by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_weights()[0], source.get_weights()[0])
    np.testing.assert_array_equal(target.get_weights()[2], head_before)


def test_skip_mismatch_needs_by_name(tmp_path):
    source = _saved(tmp_path)
    with pytest.raises(ValueError, match="skip_mismatch can only be set to True when by_name is True"):
        source.load_weights(str(tmp_path / "w"), skip_mismatch=True)


def test_by_name_reaches_layers_inside_nested_models(tmp_path):
    source = _saved(tmp_path)
    inner = gn.models.Sequential([L.Dense(4, input_shape=(3,), name="shared")], name="inner")
    inp = L.Input((3,))
    outer = gn.models.Model(inp, L.Dense(2, name="head")(inner(inp)))
    outer.load_weights(str(tmp_path / "w"), by_name=True)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(outer.predict(x), source.predict(x), rtol=1e-6)
