"""``gn.as_dtype`` and the dtype arguments built on it: None is refused as TF1 refuses it, where NumPy
would read it as float64 and quietly make float64 tensors."""
import numpy as np
import pytest

import gpunet as gn


@pytest.mark.parametrize("make", [lambda: gn.as_dtype(None), lambda: gn.placeholder(None, [2]),
                                  lambda: gn.zeros([2], dtype=None), lambda: gn.ones([2], dtype=None),
                                  lambda: gn.cast(1.0, None)],
                         ids=["as_dtype", "placeholder", "zeros", "ones", "cast"])
def test_none_is_not_a_dtype(make):
    with pytest.raises(TypeError, match="None"):
        make()


@pytest.mark.parametrize("value, name", [(gn.float32, "float32"), ("int64", "int64"), (np.float16, "float16"),
                                         (np.dtype("bool"), "bool"), (str, "string"), (bytes, "string")])
def test_dtypes_convert_from_their_names_and_numpy_types(value, name):
    assert gn.as_dtype(value).name == name


def test_a_constant_without_a_dtype_infers_one():
    assert gn.constant(1.0, dtype=None).dtype == gn.float32  # TF1 too: dtype=None there means "infer"
