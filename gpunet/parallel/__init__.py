"""Data-parallel training (API §8): TF1 towers, ``multi_gpu_model``, the replica engine and MPI.

Graphs only: the replicas are ops placed on ``/gpu:i``; the executor runs them."""
from .communicators import CollectiveAllReduce, Communicator, HostAllReduce
from .keras_model import ParallelModel, multi_gpu_model
from .towers import average_gradients, split_batch
from .trainer import ReplicatedTrainer

__all__ = ["CollectiveAllReduce", "Communicator", "HostAllReduce", "ParallelModel", "ReplicatedTrainer",
           "average_gradients", "multi_gpu_model", "split_batch", "mpi"]


def __getattr__(name):
    """``gn.parallel.mpi`` is imported on first use (it needs mpi4py, the ``mpi`` extra)."""
    if name == "mpi":
        import importlib
        return importlib.import_module(".mpi", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
