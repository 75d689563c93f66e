"""Runnable example programs (``python -m gpunet.examples.<name>``)."""

__all__ = []
