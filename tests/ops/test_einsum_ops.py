"""einsum: values against np.einsum over dtypes and devices, static shapes, and TF1-style build-time errors."""
import numpy as np
import pytest

import gpunet as gn


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64], ids=lambda d: d.__name__)
def test_einsum_matches_numpy(device, dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    b = np.arange(12).reshape(3, 4).astype(dtype) - 5
    with gn.device(device):
        x, y = gn.placeholder(dtype, [None, 3]), gn.placeholder(dtype, [3, 4])
        ys = [gn.einsum("ij,jk->ik", x, y), gn.einsum("ij->ji", x), gn.einsum("ij,ij->i", x, x), gn.einsum("ij", x)]
    with gn.Session() as sess:
        got = sess.run(ys, {x: a, y: b})
        empty = sess.run(ys[0], {x: a[:0], y: b})
    for value, equation, operands in zip(got, ["ij,jk->ik", "ij->ji", "ij,ij->i", "ij"], [(a, b), (a,), (a, a), (a,)]):
        np.testing.assert_array_equal(value, np.einsum(equation, *operands))
        assert value.dtype == dtype
    assert empty.shape == (0, 4)
    assert [t.shape.as_list() for t in ys] == [[None, 4], [3, None], [None], [None, 3]]


def test_the_gradient_of_a_repeated_subscript_is_refused_when_the_graph_is_built():
    x = gn.placeholder(gn.float32, [3, 3])
    with pytest.raises(LookupError, match="repeated subscript"):
        gn.gradients(gn.einsum("ii->i", x), [x])


BAD = [
    (lambda: gn.einsum("ij,jk->ik", gn.zeros([2, 3])), ValueError, "for each of the 1 inputs"),
    (lambda: gn.einsum("ij,jk->ik", gn.zeros([2, 3]), gn.zeros([4, 2])), ValueError, "subscript 'j' has size 3 and 4"),
    (lambda: gn.einsum("ijk->i", gn.zeros([2, 3])), ValueError, "has 2 dimensions but subscripts 'ijk'"),
    (lambda: gn.einsum("ij->iz", gn.zeros([2, 3])), ValueError, "must be distinct letters of the inputs"),
    (lambda: gn.einsum("...i->i", gn.zeros([2, 3])), ValueError, "ellipsis"),
    (lambda: gn.einsum("i,i->", gn.zeros([2]), gn.zeros([2], gn.int32)), TypeError, "must have one dtype"),
    (lambda: gn.einsum("i->i"), ValueError, "needs at least one input"),
]


@pytest.mark.parametrize("build,error,message", BAD, ids=[m for _, _, m in BAD])
def test_bad_equations_fail_when_the_graph_is_built(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value)
