"""gn.TensorArray: values against NumPy on every device and dtype, static shapes and errors as
TF 2.21's tf.compat.v1 graph mode gives them (the expected texts below were read from it), and a
TensorArray as a while_loop variable."""
import numpy as np
import pytest

import gpunet as gn

DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_]
SHAPES = [(), (0,), (2, 3)]


def _run(fetches, feed=None):
    with gn.Session() as sess:
        return sess.run(fetches, feed)


def _elements(dtype, shape, n=3):
    values = np.arange(n * int(np.prod(shape)), dtype=np.float64).reshape((n,) + shape) + 1
    return (values % 2 == 0) if dtype == np.bool_ else values.astype(dtype)


def _check(got, want):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


# -- values -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_write_read_stack_on_every_device(device, dtype, shape):
    values = _elements(dtype, shape)
    with gn.device(device):
        ta = gn.TensorArray(gn.as_dtype(dtype), size=4)
        for i in (2, 0, 1):
            ta = ta.write(i, values[i])
        fetches = [ta.read(0), ta.read(2), ta.stack(), ta.size()]
    assert ta.element_shape.as_list() == list(shape) and fetches[2].shape.as_list() == [4, *shape]
    got = _run(fetches)
    _check(got[0], values[0])
    _check(got[1], values[2])
    _check(got[2], np.concatenate([values, np.zeros((1,) + shape, values.dtype)]))
    assert got[3] == 4


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_unstack_gather_scatter_on_every_device(device, dtype, shape):
    values = _elements(dtype, shape)
    with gn.device(device):
        ta = gn.TensorArray(gn.as_dtype(dtype), size=3).unstack(values)
        other = gn.TensorArray(gn.as_dtype(dtype), size=5).scatter([4, 1, 0], values)
        fetches = [ta.gather([2, 0]), ta.gather(np.zeros(0, np.int32)), other.stack(), other.read(1)]
    got = _run(fetches)
    _check(got[0], values[[2, 0]])
    _check(got[1], values[:0])
    _check(got[2], np.stack([values[2], values[1], np.zeros_like(values[1]), np.zeros_like(values[1]), values[0]]))
    _check(got[3], values[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_split_and_concat_on_every_device(device, dtype):
    values = _elements(dtype, (2,), n=6).reshape(6, 2)
    with gn.device(device):
        ta = gn.TensorArray(gn.as_dtype(dtype), size=3).split(values, [2, 2, 2])
        fetches = [ta.read(1), ta.concat(), ta.stack()]
    assert [f.shape.as_list() for f in fetches] == [[2, 2], [6, 2], [3, 2, 2]]  # as TF1
    got = _run(fetches)
    _check(got[0], values[2:4])
    _check(got[1], values)
    _check(got[2], values.reshape(3, 2, 2))


def test_dynamic_size_grows_and_pads_with_zeros():
    ta = gn.TensorArray(gn.float32, size=0, dynamic_size=True).write(0, [1.0, 2.0]).write(2, [3.0, 4.0])
    assert ta.stack().shape.as_list() == [None, 2] and ta.dynamic_size
    stacked, size = _run([ta.stack(), ta.size()])
    _check(stacked, np.array([[1, 2], [0, 0], [3, 4]], np.float32))
    assert size == 3
    grown = gn.TensorArray(gn.float32, size=1, dynamic_size=True).unstack(np.ones((4, 2), np.float32))
    assert _run(grown.size()) == 4


def test_a_given_element_shape_reads_unwritten_elements_as_zeros():
    ta = gn.TensorArray(gn.float32, 3, element_shape=[2])
    assert ta.element_shape.as_list() == [2]
    _check(_run(ta.read(1)), np.zeros(2, np.float32))
    _check(_run(gn.TensorArray(gn.float32, 0, element_shape=[2]).stack()), np.zeros((0, 2), np.float32))


def test_python_values_take_the_array_dtype_and_identity_close_dtype():
    ta = gn.TensorArray(gn.float32, 2).write(0, np.float64(1.0)).write(1, 2)
    assert ta.dtype == gn.float32 and ta.identity().dtype == gn.float32
    _check(_run(ta.identity().stack()), np.array([1.0, 2.0], np.float32))
    assert ta.close().type == "NoOp"


def test_arrays_made_from_one_another_share_their_element_shape():
    ta = gn.TensorArray(gn.float32, 3)
    assert ta.element_shape == gn.TensorShape(None)
    ta.write(0, [1.0, 2.0])
    assert ta.element_shape.as_list() == [2]  # TF1: the write's shape is seen by the array it came from


def test_fed_values_of_unknown_shape():
    x = gn.placeholder(gn.float32, [None, 2])
    ta = gn.TensorArray(gn.float32, 3).unstack(x)
    assert ta.stack().shape.as_list() == [3, 2] and ta.read(0).shape.as_list() == [2]
    value = np.arange(6, dtype=np.float32).reshape(3, 2)
    _check(_run(ta.read(2), {x: value}), value[2])


# -- errors -----------------------------------------------------------------------------------------
def _run_error(fetch, message):
    with pytest.raises(gn.errors.InvalidArgumentError) as info:
        _run(fetch)
    assert message in str(info.value)


def test_writing_an_index_twice_fails():
    ta = gn.TensorArray(gn.float32, 3).write(0, [1.0, 2.0]).write(0, [3.0, 4.0])
    _run_error(ta.stack(), "Could not write to TensorArray index 0 because it has already been written to.")
    dup = gn.TensorArray(gn.float32, 3).scatter([1, 1], np.ones((2, 2), np.float32))
    _run_error(dup.stack(), "Could not write to TensorArray index 1 because it has already been written to.")


@pytest.mark.parametrize("index", [3, -1])
def test_writing_out_of_range_of_a_fixed_size_fails(index):
    ta = gn.TensorArray(gn.float32, 3).write(index, [1.0, 2.0])
    _run_error(ta.stack(), f"Tried to write to index {index} but array is not resizeable and size is: 3")


def test_unstacking_more_values_than_the_size_fails():
    ta = gn.TensorArray(gn.float32, 2).unstack(np.ones((3, 2), np.float32))
    _run_error(ta.stack(), "Tried to write to index 2 but array is not resizeable and size is: 2")


@pytest.mark.parametrize("read", [lambda ta: ta.read(5), lambda ta: ta.gather([0, 3])])
def test_reading_out_of_range_fails(read):
    ta = gn.TensorArray(gn.float32, 3).write(0, [1.0, 2.0])
    _run_error(read(ta), "Tried to read from index")


def test_reading_with_no_element_shape_known_fails():
    _run_error(gn.TensorArray(gn.float32, 3).read(0),
               "Could not read from TensorArray index 0.  Furthermore, the element shape is not fully defined")
    _run_error(gn.TensorArray(gn.float32, 3).stack(), "Could not read from TensorArray index 0")
    _run_error(gn.TensorArray(gn.float32, 0).stack(), "TensorArray has size zero, but element shape <unknown>")


def test_inconsistent_shapes_fail_when_built():
    ta = gn.TensorArray(gn.float32, 3).write(0, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(3,\) but expected \(2,\)"):
        ta.write(1, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(2,\) but expected \(3,\)"):
        gn.TensorArray(gn.float32, 3, element_shape=[3]).write(0, [1.0, 2.0])


def test_inconsistent_shapes_known_only_when_run_fail_then():
    x = gn.placeholder(gn.float32, [None])
    ta = gn.TensorArray(gn.float32, 2).write(0, [1.0, 2.0]).write(1, x)
    with pytest.raises(gn.errors.InvalidArgumentError, match=r"value shape is \[3\] which is incompatible with "
                                                             r"the TensorArray's inferred element shape: \[2\]"):
        _run(ta.stack(), {x: np.ones(3, np.float32)})


def test_split_errors_as_tf1():
    _run_error(gn.TensorArray(gn.float32, 2).split(np.arange(6, dtype=np.float32), [4, 1]).stack(),
               "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is 5 and value's shape "
               "is: [6]")
    _run_error(gn.TensorArray(gn.float32, 2).split(np.arange(6, dtype=np.float32), [4, 2]).stack(),
               "Could not write to TensorArray index 1 because the value shape is [2] which is incompatible with "
               "the TensorArray's inferred element shape: [4]")


def test_build_time_type_errors():
    with pytest.raises(TypeError, match="has dtype int32, but the TensorArray holds float32"):
        gn.TensorArray(gn.float32, 2).write(0, gn.constant([1, 2]))
    with pytest.raises(TypeError, match="Expected int32 passed to parameter 'index'"):
        gn.TensorArray(gn.float32, 2).write(0.0, 1.0)
    with pytest.raises(ValueError, match="Size must be provided"):
        gn.TensorArray(gn.float32)
    with pytest.raises(ValueError, match="cannot be built from a handle or a flow"):
        gn.TensorArray(gn.float32, flow=gn.constant(0.0))
    with pytest.raises(ValueError, match="Concat saw a scalar shape"):
        gn.TensorArray(gn.float32, 2).write(0, 1.0).concat()


def test_a_negative_size_fails_when_run():
    size = gn.placeholder(gn.int32, [])
    with pytest.raises(gn.errors.InvalidArgumentError, match="Size should be >= 0, got -1"):
        _run(gn.TensorArray(gn.float32, size, element_shape=[]).stack(), {size: -1})


# -- in gn.while_loop ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_a_tensor_array_as_a_loop_variable(device, dtype):
    values = np.arange(6, dtype=dtype).reshape(3, 2) + 1
    with gn.device(device):
        x = gn.constant(values)
        ta = gn.TensorArray(gn.as_dtype(dtype), size=3)
        _, ta = gn.while_loop(lambda i, ta: i < 3, lambda i, ta: (i + 1, ta.write(i, gn.gather(x, i) * 2)),
                              [0, ta])
        stacked = ta.stack()
    assert isinstance(ta, gn.TensorArray) and stacked.shape.as_list() == [3, 2]  # as TF1: learned in the body
    _check(_run(stacked), values * 2)


def test_a_dynamic_size_array_grows_in_a_loop_and_alone_comes_back_alone():
    ta = gn.while_loop(lambda ta: ta.size() < 4, lambda ta: ta.write(ta.size(), gn.cast(ta.size(), gn.float32)),
                       [gn.TensorArray(gn.float32, 0, dynamic_size=True, element_shape=[])])
    assert isinstance(ta, gn.TensorArray)
    _check(_run(ta.stack()), np.arange(4, dtype=np.float32))


def test_reading_an_unstacked_input_and_writing_outputs_in_a_loop(device):
    values = np.arange(12, dtype=np.float32).reshape(4, 3)
    with gn.device(device):
        inputs = gn.TensorArray(gn.float32, 4).unstack(values)

        def body(i, total, outputs):
            total = total + inputs.read(i)
            return i + 1, total, outputs.write(i, total)
        _, total, outputs = gn.while_loop(lambda i, *_: i < 4, body,
                                          [0, gn.zeros([3]), gn.TensorArray(gn.float32, 4)])
    got = _run([total, outputs.stack()])
    _check(got[0], values.sum(0))
    _check(got[1], np.cumsum(values, 0))


def test_the_body_must_return_a_tensor_array_where_there_was_one():
    with pytest.raises(TypeError, match="must return a TensorArray where loop_vars has one, got Tensor"):
        gn.while_loop(lambda i, ta: i < 2, lambda i, ta: (i + 1, i), [0, gn.TensorArray(gn.float32, 2)])


def test_loop_ops_run_on_the_devices_they_were_placed_on(vgpus):
    with gn.device("/gpu:1"):
        x = gn.constant(np.ones((3, 2), np.float32))
        ta = gn.TensorArray(gn.float32, 3)
        _, ta = gn.while_loop(lambda i, ta: i < 3, lambda i, ta: (i + 1, ta.write(i, gn.gather(x, i))), [0, ta])
        stacked = ta.stack()
    with gn.Session() as sess:
        report = sess.placement_report(stacked)
        _check(sess.run(stacked), np.ones((3, 2), np.float32))
    gpu1 = "/job:localhost/replica:0/task:0/device:GPU:1"
    assert report.row("TensorArray").assigned == gpu1 and report.row("TensorArrayStack").assigned == gpu1
    assert report.row("while/TensorArrayWrite").assigned == gpu1


def test_a_shape_known_when_read_reads_unwritten_elements_as_zeros():
    ta = gn.TensorArray(gn.float32, 0, dynamic_size=True)
    _, ta = gn.while_loop(lambda i, ta: i < 0, lambda i, ta: (i + 1, ta.write(i, [1.0, 2.0])), [0, ta])
    stacked = ta.stack()  # the loop ran zero times, but its body told the element shape: as TF1
    assert stacked.shape.as_list() == [None, 2]
    _check(_run(stacked), np.zeros((0, 2), np.float32))


def test_the_tf1_names_are_there():
    import gpunet.compat.v1 as v1
    assert v1.TensorArray is gn.TensorArray
    assert (v1.map_fn, v1.scan, v1.foldl, v1.foldr) == (gn.map_fn, gn.scan, gn.foldl, gn.foldr)
