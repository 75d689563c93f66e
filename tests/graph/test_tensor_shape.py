"""gn.Dimension and gn.TensorShape as TF1 users use them (expected values taken from TF 1.x)."""
import numpy as np
import pytest

import gpunet as gn


def test_a_static_dim_is_a_dimension_with_value_and_int():
    x = gn.zeros([2, 3])
    dim = x.get_shape()[1]
    assert isinstance(dim, gn.Dimension) and dim.value == 3 and int(dim) == 3 and dim == 3
    assert x.shape.as_list() == [2, 3] and x.shape.ndims == 2 and x.shape.rank == 2
    assert [d.value for d in x.shape] == [2, 3] and x.shape.dims == [gn.Dimension(2), gn.Dimension(3)]
    assert np.zeros(x.shape).shape == (2, 3) and list(range(x.shape[0])) == [0, 1]  # __index__


def test_unknown_dims_answer_none_as_tf1():
    p = gn.placeholder(gn.float32, [None, 3])
    unknown = p.shape[0]
    assert unknown.value is None and repr(unknown) == "Dimension(None)" and str(unknown) == "?"
    assert (unknown == 3) is None and (unknown < 4) is None and (unknown + 1).value is None
    assert p.shape == [None, 3] and p.shape == gn.TensorShape([None, 3]) and p.shape != gn.TensorShape([2, 3])
    with pytest.raises(TypeError, match="unknown Dimension"):
        int(unknown)
    assert gn.TensorShape(None)[0].value is None and gn.TensorShape(None).ndims is None
    with pytest.raises(ValueError, match="unknown TensorShape"):
        gn.TensorShape(None).as_list()


@pytest.mark.parametrize("expr, expected", [
    (lambda d: d + 1, 4), (lambda d: 1 + d, 4), (lambda d: d - 1, 2), (lambda d: d * 2, 6), (lambda d: 7 // d, 2),
    (lambda d: d % 2, 1), (lambda d: d // gn.Dimension(2), 1), (lambda d: d / 2, 1.5), (lambda d: d * 0.5, 1.5),
])
def test_dimension_arithmetic(expr, expected):
    got = expr(gn.Dimension(3))
    assert got == expected and (isinstance(got, gn.Dimension) or isinstance(got, float))


def test_dimension_checks_its_value():
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        gn.Dimension(-1)
    with pytest.raises(TypeError, match="must be integer or None"):
        gn.Dimension(2.5)
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        gn.TensorShape([-1])
    assert gn.Dimension(3).merge_with(None).value == 3 and gn.Dimension(None).is_compatible_with(5)
    with pytest.raises(ValueError, match="not compatible"):
        gn.Dimension(3).merge_with(4)


def test_tensor_shape_methods():
    s = gn.TensorShape([None, 3])
    assert repr(s) == "TensorShape([None, 3])" and s[1:] == (3,) and gn.TensorShape(3) == [3]
    assert s.merge_with([2, None]) == [2, 3] and s.concatenate([4]) == [None, 3, 4]
    assert gn.TensorShape([2, 3]).num_elements() == 6 and s.num_elements() is None
    assert gn.TensorShape([gn.Dimension(2), None]) == [2, None] and gn.TensorShape([]) == []
    assert s.with_rank(2) is s and gn.TensorShape(None).with_rank(2) == [None, None]
    with pytest.raises(ValueError, match="must have rank 3"):
        s.with_rank(3)
    assert gn.dimension_value(gn.Dimension(4)) == 4 and gn.dimension_value(None) is None


def test_dimensions_build_new_shapes():
    """``placeholder(shape=[None, x.shape[1]])`` and ``reshape(x, [-1, x.shape[1] * x.shape[2]])``."""
    x = gn.placeholder(gn.float32, [None, 4, 5])
    y = gn.placeholder(gn.float32, [None, x.shape[1]])
    flat = gn.reshape(x, [-1, x.get_shape()[1].value * x.get_shape()[2].value])
    assert y.shape == [None, 4] and flat.shape == [None, 20]
    assert gn.zeros([x.shape[1], 2]).shape == (4, 2)
