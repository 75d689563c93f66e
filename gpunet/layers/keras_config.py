"""Layer configs as tf_keras 2 writes them (``model.to_json()``), made into what gpunet's constructors take.

tf_keras 2.21 adds bookkeeping keys (``module``, ``registered_name``, ``build_config``), writes ``dtype`` as a
policy dict, and gives some layers arguments gpunet does not have. Keys that carry no behaviour are dropped; an
argument gpunet lacks is dropped only when its value is tf_keras's default (so dropping it changes nothing), and
any other value is refused with a ValueError naming the layer, the argument and the value — a loaded model never
silently computes something other than the saved one."""
from __future__ import annotations

import functools
import inspect

from .base import Layer

__all__ = ["UnsupportedKerasArgument", "from_keras"]

# keys of a layer's spec (beside class_name and config) that only tf_keras's own loading uses
_SPEC_BOOKKEEPING = ("module", "registered_name", "build_config", "compile_config", "shared_object_id")

# config keys whose value never changes what the layer computes: the RNN kernel's implementation, unrolling, and
# cross-replica batch statistics (one replica here)
_INERT = frozenset({"implementation", "unroll", "synchronized"})

# arguments some of gpunet's layers lack: dropped when they hold one of these values (tf_keras's defaults, which
# gpunet's behaviour matches); a regularizer gpunet's layer has no place for is refused unless it is None
_DEFAULTS = {
    "groups": (1,), "stateful": (False,), "zero_output_for_mask": (False,),
    "renorm": (False,), "renorm_clipping": (None,), "renorm_momentum": (0.99,), "fused": (None,),
    "virtual_batch_size": (None,), "adjustment": (None,), "embeddings_constraint": (None,), "input_length": (None,),
    "backward_layer": (None,), "use_legacy_format": (False,),
    "kernel_regularizer": (None,), "bias_regularizer": (None,), "embeddings_regularizer": (None,),
    "depthwise_regularizer": (None,), "pointwise_regularizer": (None,), "alpha_regularizer": (None,),
    "kernel_constraint": (None,), "bias_constraint": (None,), "recurrent_constraint": (None,),
    "beta_constraint": (None,), "gamma_constraint": (None,), "depthwise_constraint": (None,),
    "pointwise_constraint": (None,), "data_format": ("channels_last", None), "time_major": (False,),
    "ragged": (False,), "sparse": (False,), "optional": (False,), "autocast": (True,),
}

# classes whose from_config reads tf_keras's own keys (Lambda: function_type, module, output_shape_type, ...)
_READS_KERAS_KEYS = frozenset({"Lambda"})

# arguments tf_keras writes for a class that does not use them (SeparableConv2D inherits Conv's kernel_*)
_UNUSED_BY = {"SeparableConv2D": frozenset({"kernel_initializer", "kernel_regularizer", "kernel_constraint"})}


class UnsupportedKerasArgument(ValueError):
    """A tf_keras config holds an argument value gpunet cannot honour."""


def from_keras(cls, spec):
    """``spec`` (``{'class_name', 'config', ...}`` as tf_keras or gpunet wrote it) for building ``cls``: the
    bookkeeping keys gone, ``dtype`` a name, and each config key one that ``cls`` takes."""
    spec = {k: v for k, v in spec.items() if k not in _SPEC_BOOKKEEPING}
    config = spec.get("config")
    if not isinstance(config, dict) or _is_model(cls):
        return spec
    return {**spec, "config": _layer_config(cls, spec["class_name"], config)}


def _is_model(cls):
    return any(base.__name__ in ("Model", "Sequential") for base in cls.__mro__)


def _layer_config(cls, class_name, config):
    config = dict(config)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = _policy_dtype(config, class_name)
    if "batch_shape" in config and "batch_input_shape" not in config:  # Keras 3's name
        config["batch_input_shape"] = config.pop("batch_shape")
    accepted = None if class_name in _READS_KERAS_KEYS else _accepted_arguments(cls)
    if accepted is None:
        return config
    for key in [k for k in config if k not in accepted]:
        value = config.pop(key)
        if key in _INERT or key in _UNUSED_BY.get(class_name, ()) or value in _DEFAULTS.get(key, ()):
            continue
        raise UnsupportedKerasArgument(
            f"Layer {config.get('name')!r} ({class_name}): argument {key}={value!r} is not supported by gpunet's "
            f"{cls.__name__}, and ignoring it would change what the model computes.")
    return config


def _policy_dtype(config, class_name):
    """The dtype of a ``{'class_name': 'Policy', 'config': {'name': 'float32'}}`` policy; mixed ones refused."""
    policy = config["dtype"].get("config", {})
    name = policy.get("name")
    if name not in ("float16", "float32", "float64", "bfloat16", "int32", "int64", "bool"):
        raise UnsupportedKerasArgument(f"Layer {config.get('name')!r} ({class_name}): dtype policy {name!r} is not "
                                       f"supported by gpunet (mixed precision policies are not); use one dtype.")
    return name


@functools.lru_cache(maxsize=None)
def _accepted_arguments(cls):
    """The keyword arguments ``cls`` takes, following ``**kwargs`` into the base classes; None when unknowable."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if klass is Layer or not any(p.kind is p.VAR_KEYWORD for p in params):  # Layer's **kwargs only refuses
            return frozenset(names - {"self"})
    return None
