"""Bad arguments to Keras 2 layers are refused where tf_keras refuses them, with its error class and a message
naming the argument; the good neighbours of each refused value still build."""
import numpy as np
import pytest

import gpunet as gn

L = gn.layers


def _on_input(layer, shape):
    return layer(L.Input(shape=shape))


CONSTRUCTOR_CASES = {  # layer construction, the error class, the message (tf_keras's wording)
    "conv2d-filters-0": (lambda: L.Conv2D(0, 3), ValueError,
                         "Invalid value for argument `filters`. Expected a strictly positive value. Received "
                         "filters=0."),
    "conv2d-filters-negative": (lambda: L.Conv2D(-1, 3), ValueError, "Invalid value for argument `filters`"),
    "conv2d-kernel-0": (lambda: L.Conv2D(2, 0), ValueError,
                        "The `kernel_size` argument must be a tuple of 2 integers. Received: 0 including {0} that "
                        "does not satisfy the requirement `> 0`."),
    "conv2d-kernel-negative": (lambda: L.Conv2D(2, (3, -3)), ValueError,
                               "The `kernel_size` argument must be a tuple of 2 integers. Received: (3, -3) "
                               "including {-3}"),
    "conv2d-kernel-3-long": (lambda: L.Conv2D(2, (3, 3, 3)), ValueError,
                             "The `kernel_size` argument must be a tuple of 2 integers. Received: (3, 3, 3)"),
    "conv2d-kernel-string": (lambda: L.Conv2D(2, "3"), ValueError,
                             "The `kernel_size` argument must be a tuple of 2 integers. Received: 3"),
    "conv2d-kernel-float": (lambda: L.Conv2D(2, (2.5, 2)), ValueError,
                            "The `kernel_size` argument must be a tuple of 2 integers. Received: (2.5, 2)"),
    "conv2d-strides-0": (lambda: L.Conv2D(2, 3, strides=0), ValueError,
                         "The `strides` argument must be a tuple of 2 integers. Received: 0 including {0}"),
    "maxpool-pool-0": (lambda: L.MaxPooling2D(0), ValueError,
                       "The `pool_size` argument must be a tuple of 2 integers. Received: 0 including {0}"),
    "avgpool-pool-negative": (lambda: L.AveragePooling2D(-2), ValueError,
                              "The `pool_size` argument must be a tuple of 2 integers. Received: -2 including {-2}"),
    "maxpool-strides-0": (lambda: L.MaxPooling2D(2, strides=(1, 0)), ValueError,
                          "The `strides` argument must be a tuple of 2 integers. Received: (1, 0) including {0}"),
    "dense-units-negative": (lambda: L.Dense(-1), ValueError,
                             "Received an invalid value for `units`, expected a positive integer. Received: "
                             "units=-1"),
    "input-shape-and-batch-shape": (lambda: L.Input(shape=(3,), batch_shape=(None, 3)), ValueError,
                                    "Only provide the `shape` OR `batch_shape` argument to Input, not both"),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTOR_CASES))
def test_a_bad_layer_argument_is_refused_when_the_layer_is_made(name):
    make, error, message = CONSTRUCTOR_CASES[name]
    with pytest.raises(error) as info:
        make()
    assert str(info.value).startswith(message)


BUILD_CASES = {  # a layer called on an input it cannot take
    "reshape-size-changes": (lambda: _on_input(L.Reshape((5,)), (2, 3)),
                             "total size of new array must be unchanged, input_shape = [2, 3], output_shape = [5]"),
    "reshape-zero-size": (lambda: _on_input(L.Reshape((0, 6)), (2, 3)),
                          "total size of new array must be unchanged, input_shape = [2, 3], output_shape = [0, 6]"),
    "reshape-free-dimension-does-not-divide": (lambda: _on_input(L.Reshape((-1, 4)), (2, 3)),
                                               "total size of new array must be unchanged, input_shape = [2, 3], "
                                               "output_shape = [-1, 4]"),
    "batch-norm-axis-above-rank": (lambda: _on_input(L.BatchNormalization(axis=5), (3,)),
                                   "Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with "
                                   "inputs.rank=2). Received: axis=5"),
    "batch-norm-axis-below-rank": (lambda: _on_input(L.BatchNormalization(axis=-4), (3, 2)),
                                   "Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with "
                                   "inputs.rank=3). Received: axis=-4"),
}


@pytest.mark.parametrize("name", sorted(BUILD_CASES))
def test_a_layer_called_on_an_input_it_cannot_take_raises_value_error(name):
    build, message = BUILD_CASES[name]
    with pytest.raises(ValueError) as info:
        build()
    assert str(info.value).startswith(message)


GOOD_CASES = {  # the accepted neighbours and the output shape they give
    "conv2d-numpy-int-kernel": (lambda: _on_input(L.Conv2D(np.int64(2), np.int64(3), strides=(1, 1)), (5, 5, 1)),
                                [None, 3, 3, 2]),
    "conv2d-list-kernel": (lambda: _on_input(L.Conv2D(2, [1, 3]), (5, 5, 1)), [None, 5, 3, 2]),
    "maxpool-default-strides": (lambda: _on_input(L.MaxPooling2D((2, 1)), (4, 4, 1)), [None, 2, 4, 1]),
    "dense-zero-units": (lambda: _on_input(L.Dense(0), (3,)), [None, 0]),
    "reshape-free-dimension": (lambda: _on_input(L.Reshape((-1, 2)), (2, 3)), [None, 3, 2]),
    "reshape-unknown-input": (lambda: _on_input(L.Reshape((5,)), (None,)), [None, 5]),
    "batch-norm-negative-axis": (lambda: _on_input(L.BatchNormalization(axis=-2), (3, 2)), [None, 3, 2]),
}


@pytest.mark.parametrize("name", sorted(GOOD_CASES))
def test_the_neighbours_of_the_refused_arguments_build(name):
    build, shape = GOOD_CASES[name]
    assert build().shape.as_list() == shape


def test_a_conv2d_of_numpy_int_sizes_computes_the_same_as_one_of_python_ints():
    x = np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5, 1)
    results = []
    for size in (3, np.int32(3)):
        gn.reset_default_graph()
        model = gn.models.Sequential([L.Conv2D(1, size, input_shape=(5, 5, 1), kernel_initializer="ones",
                                               use_bias=False)])
        results.append(model.predict(x))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0][:, 0, 0, 0], [x[i, :3, :3, 0].sum() for i in range(2)])


@pytest.mark.parametrize("count", [1, 2])
def test_dense_called_on_a_list_of_tensors_says_it_takes_one(count):
    inputs = [L.Input((3,)) for _ in range(count)]
    with pytest.raises(ValueError) as info:
        L.Dense(2)(inputs)
    assert str(info.value) == (f'Layer "dense" expects 1 input tensor, but it received a list of {count}, of shapes '
                               f"{[(None, 3)] * count}")


@pytest.mark.parametrize("shape", [3, np.int64(3), (3,)], ids=repr)
def test_input_reads_an_int_shape_as_one_dimension_as_tf_keras(shape):
    assert L.Input(shape=shape).shape.as_list() == [None, 3]


@pytest.mark.parametrize("shape, error, message", [
    ("ab", TypeError, "Dimension value must be integer or None, got 'a' of type 'str'"),
    (2.5, TypeError, "Input: `shape` must be a tuple of integers or None, got 2.5 of type float"),
    ((-2,), ValueError, "Dimension -2 must be >= 0"),
])
def test_input_refuses_shapes_that_are_no_dimensions(shape, error, message):
    with pytest.raises(error) as info:
        L.Input(shape=shape)
    assert str(info.value) == message
