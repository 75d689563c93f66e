"""``gn.models``: Sequential, functional and subclassed Keras 2 models, and model files."""
from .model import Model
from .saving import load_model, model_from_json
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "model_from_json"]
