"""Summary ops as in TF1: graph ops on the CPU whose output is a string scalar holding a
serialized ``Summary`` proto; ``sess.run`` them and hand the bytes to ``FileWriter.add_summary``.

Each op is data: its output rule, its CPU kernel and its name here. The tag of ``scalar('loss')``
under name scope ``train`` is ``train/loss``, and so is the op's name, as in TF1.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import string
from ..graph.graph import get_default_graph
from ..graph.registry import apply_op, define_op
from ..graph.variables import GraphKeys
from . import _encode

__all__ = ["histogram", "image", "merge", "merge_all", "scalar", "summary_pb2"]


def summary_pb2():
    """tensorboardX's copy of TensorFlow's summary protos (extra ``tensorboard``)."""
    try:
        from tensorboardX.proto import summary_pb2 as protos
    except ImportError as exc:
        raise ImportError(f"gpunet summaries need tensorboardX: pip install 'gpunet[tensorboard]' ({exc})") from None
    return protos


def _string_scalar(inputs, attrs):
    return [(string, ())]


def _serialized(value_protos) -> np.ndarray:
    return np.array(summary_pb2().Summary(value=value_protos).SerializeToString(), dtype=object)


# -- kernels ------------------------------------------------------------------------------------
def _scalar_kernel(ctx):
    tag, Value = ctx.attrs["tag"], summary_pb2().Summary.Value

    def scalar(value):
        if value.shape != ():
            raise errors.InvalidArgumentError(None, ctx.op, f"tags and values not the same shape: [] != "
                                                            f"{list(value.shape)} (tag '{tag}')")
        return _serialized([Value(tag=tag, simple_value=float(value))])
    return scalar


def _histogram_kernel(ctx):
    tag, protos = ctx.attrs["tag"], summary_pb2()

    def histogram(values):
        if not np.isfinite(values).all():
            raise errors.InvalidArgumentError(None, ctx.op, f"Nan in summary histogram for: {tag}")
        histo = protos.HistogramProto(**_encode.histogram_fields(values))
        return _serialized([protos.Summary.Value(tag=tag, histo=histo)])
    return histogram


def _image_kernel(ctx):
    tag, max_outputs, protos = ctx.attrs["tag"], ctx.attrs["max_outputs"], summary_pb2()

    def image(batch):
        if batch.ndim != 4 or batch.shape[-1] not in (1, 3, 4):
            raise errors.InvalidArgumentError(None, ctx.op, f"Tensor must be 4-D with last dim 1, 3, or 4, not "
                                                            f"{list(batch.shape)} (tag '{tag}')")
        count = min(max_outputs, batch.shape[0])
        names = [f"{tag}/image"] if max_outputs == 1 else [f"{tag}/image/{i}" for i in range(count)]
        return _serialized([protos.Summary.Value(tag=name, image=_image_proto(protos, batch[i]))
                            for i, name in zip(range(count), names)])
    return image


def _image_proto(protos, image):
    pixels = _encode.image_to_uint8(image)
    return protos.Summary.Image(height=pixels.shape[0], width=pixels.shape[1], colorspace=pixels.shape[2],
                                encoded_image_string=_encode.png(pixels))


def _merge_kernel(ctx):
    Summary = summary_pb2().Summary

    def merge(*inputs):
        merged, seen = Summary(), set()
        for data in (item for array in inputs for item in array.ravel()):  # each input: any shape
            for value in Summary.FromString(data).value:
                if value.tag in seen:
                    raise errors.InvalidArgumentError(None, ctx.op, f"Duplicate tag {value.tag} found in "
                                                                    f"summary inputs")
                seen.add(value.tag)
                merged.value.append(value)
        return np.array(merged.SerializeToString(), dtype=object)
    return merge


_OPTIONS = {"differentiable": False}
define_op("ScalarSummary", _string_scalar, {"CPU": _scalar_kernel}, **_OPTIONS)
define_op("HistogramSummary", _string_scalar, {"CPU": _histogram_kernel}, **_OPTIONS)
define_op("ImageSummary", _string_scalar, {"CPU": _image_kernel}, **_OPTIONS)
define_op("MergeSummary", _string_scalar, {"CPU": _merge_kernel}, **_OPTIONS)


# -- the public functions -------------------------------------------------------------------------
def _summary_op(op_type, name, tensor, attrs, collections):
    """Create a summary op in a name scope ``name``; the scope is both its tag and its name."""
    graph = get_default_graph()
    with graph.name_scope(name) as scope:
        op = apply_op(op_type, [tensor], {"tag": scope[:-1], **attrs}, scope)
    for key in (collections if collections is not None else [GraphKeys.SUMMARIES]):
        graph.add_to_collection(key, op.outputs[0])
    return op.outputs[0]


def scalar(name, tensor, collections=None):
    """A string tensor: the serialized Summary of the scalar ``tensor`` under tag ``name``."""
    tensor = convert_to_tensor(tensor)
    _check_real(tensor, "scalar")
    if tensor.shape.ndims not in (None, 0):
        raise ValueError(f"gn.summary.scalar {name!r} needs a scalar tensor, got {tensor.name} with shape "
                         f"{tensor.shape}")
    return _summary_op("ScalarSummary", name, tensor, {}, collections)


def histogram(name, values, collections=None):
    """A string tensor: the serialized Summary of a histogram of ``values`` (any shape), bucketed
    as TF1 does."""
    values = convert_to_tensor(values)
    _check_real(values, "histogram")
    return _summary_op("HistogramSummary", name, values, {}, collections)


def image(name, tensor, max_outputs=3, collections=None):
    """A string tensor: the serialized Summary of up to ``max_outputs`` images of the
    ``[batch, height, width, channels]`` ``tensor`` (1, 3 or 4 channels; uint8, or floats scaled as
    TF1 does), tagged ``name/image/0``... (``name/image`` when ``max_outputs`` is 1)."""
    tensor = convert_to_tensor(tensor)
    if tensor.dtype.name not in ("uint8", "float16", "float32", "float64"):
        raise TypeError(f"gn.summary.image {name!r} takes uint8 or float images, got {tensor.dtype.name}")
    dims = tensor.shape.dims
    if dims is not None and (len(dims) != 4 or dims[-1] not in (None, 1, 3, 4)):
        raise ValueError(f"gn.summary.image {name!r} needs a [batch, height, width, 1|3|4] tensor, got shape "
                         f"{tensor.shape}")
    if not isinstance(max_outputs, int) or max_outputs < 1:
        raise ValueError(f"max_outputs must be a positive int, got {max_outputs!r}")
    return _summary_op("ImageSummary", name, tensor, {"max_outputs": max_outputs}, collections)


def _check_real(tensor, what):
    if tensor.dtype.name == "string" or tensor.dtype.name == "bool":
        raise TypeError(f"gn.summary.{what} takes a real numeric tensor, got {tensor.name} of dtype "
                        f"{tensor.dtype.name}")


def merge(inputs, collections=None, name=None):
    """One string tensor holding every value of the Summary protos ``inputs`` (duplicate tags are
    an ``InvalidArgumentError`` when run)."""
    inputs = [convert_to_tensor(t) for t in inputs]
    for t in inputs:
        if t.dtype != string:
            raise TypeError(f"gn.summary.merge takes serialized summaries (string tensors), got {t.name} "
                            f"of dtype {t.dtype.name}")
    graph = inputs[0].graph if inputs else get_default_graph()
    out = apply_op("MergeSummary", inputs, {}, name or "Merge/MergeSummary", graph=graph).outputs[0]
    for key in collections or []:
        graph.add_to_collection(key, out)
    return out


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """``merge`` of every summary in collection ``key`` (optionally only names matching ``scope``);
    None when there is none, as in TF1."""
    summaries = get_default_graph().get_collection(key, scope)
    return merge(summaries, name=name) if summaries else None
