"""A gpunet Graph as TensorFlow's GraphDef proto (tensorboardX's copy of the protos), so
TensorBoard draws it: each node with its inputs (``op:1``, ``^control``), its output dtypes and
shapes, and its device — where a session would place it — so the graph view colours by device."""
from __future__ import annotations

from .. import errors
from ..device import devices
from ..graph.placer import Placer

# gpunet dtype name -> TensorFlow DataType enum name
_TF_TYPES = {"float16": "DT_HALF", "float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int8": "DT_INT8",
             "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64", "uint8": "DT_UINT8",
             "bool": "DT_BOOL", "string": "DT_STRING"}


def graph_def(graph):
    """The GraphDef proto of ``graph``."""
    from tensorboardX.proto import graph_pb2
    placed = node_devices(graph)
    return graph_pb2.GraphDef(node=[_node_def(op, placed[op]) for op in graph.get_operations()])


def node_devices(graph) -> dict:
    """op -> the device a session over this process's devices would run it on (soft placement, so
    an unsatisfiable request shows where it would fall back); the requested devices when the graph
    cannot be placed at all."""
    ops = graph.get_operations()
    try:
        placement = Placer(devices(), allow_soft_placement=True).place(ops, graph)
    except errors.OpError:
        return {op: op.device for op in ops}
    return {op: placement[op].device.name for op in ops}


def _node_def(op, device):
    from tensorboardX.proto import attr_value_pb2, node_def_pb2
    inputs = [t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}" for t in op.inputs]
    inputs += [f"^{c.name}" for c in op.control_inputs]
    attrs = {"_output_shapes": attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(
        shape=[_shape_proto(t._shape) for t in op.outputs]))}
    if op.outputs:
        attrs["T"] = attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(
            type=[_tf_type(t.dtype) for t in op.outputs]))
    return node_def_pb2.NodeDef(name=op.name, op=op.type, input=inputs, device=device, attr=attrs)


def _shape_proto(shape):
    from tensorboardX.proto import tensor_shape_pb2
    if shape is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d) for d in shape])


def _tf_type(dtype):
    from tensorboardX.proto import types_pb2
    return types_pb2.DataType.Value(_TF_TYPES.get(dtype.name, "DT_INVALID"))
