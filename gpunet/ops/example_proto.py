"""tf.train.Example / Features / Feature protos, built from descriptors in Python (the wire format of
tensorflow/core/example/{example,feature}.proto; field numbers match, so bytes interoperate)."""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _field(message, name, number, type_, label=_F.LABEL_OPTIONAL, type_name=None, packed=None):
    field = message.field.add(name=name, number=number, type=type_, label=label)
    if type_name:
        field.type_name = type_name
    if packed is not None:
        field.options.packed = packed
    return field


def _file_descriptor():
    proto = descriptor_pb2.FileDescriptorProto(name="gpunet/example.proto", package="tensorflow", syntax="proto3")
    for name, type_ in (("BytesList", _F.TYPE_BYTES), ("FloatList", _F.TYPE_FLOAT), ("Int64List", _F.TYPE_INT64)):
        message = proto.message_type.add(name=name)
        _field(message, "value", 1, type_, _F.LABEL_REPEATED, packed=None if type_ == _F.TYPE_BYTES else True)
    feature = proto.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    for number, name, type_name in ((1, "bytes_list", "BytesList"), (2, "float_list", "FloatList"),
                                    (3, "int64_list", "Int64List")):
        _field(feature, name, number, _F.TYPE_MESSAGE, type_name=f".tensorflow.{type_name}").oneof_index = 0
    features = proto.message_type.add(name="Features")
    entry = features.nested_type.add(name="FeatureEntry")
    entry.options.map_entry = True
    _field(entry, "key", 1, _F.TYPE_STRING)
    _field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.Feature")
    _field(features, "feature", 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".tensorflow.Features.FeatureEntry")
    example = proto.message_type.add(name="Example")
    _field(example, "features", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    return proto


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file_descriptor())


def _message(name):
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"tensorflow.{name}"))


BytesList = _message("BytesList")
FloatList = _message("FloatList")
Int64List = _message("Int64List")
Feature = _message("Feature")
Features = _message("Features")
Example = _message("Example")

__all__ = ["BytesList", "Example", "Feature", "Features", "FloatList", "Int64List"]
