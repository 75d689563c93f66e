"""``gn.utils``: Keras 2 utilities."""
from .data_utils import Sequence
from .np_utils import to_categorical

__all__ = ["Sequence", "to_categorical"]
