"""``python -m gpunet.bench``: the same as the ``gpunet-bench`` console script."""
from .cli import entry_point

entry_point()
