"""Input producers and batching (TF1's tf.train.*_input_producer, batch, shuffle_batch, *_join).

Each builds a queue, the ops that fill it and a QueueRunner for them (added to the graph's
QUEUE_RUNNERS collection, so ``start_queue_runners`` starts it). ``num_epochs`` is a local
variable, so ``gn.local_variables_initializer()`` must run first, as in TF1.
"""
from __future__ import annotations

from ..graph import GraphKeys, Variable, control_dependencies, convert_to_tensor, device, identity, name_scope
from ..graph.dtypes import int64, string
from ..ops.nest import flatten, pack_as
from ..ops.array_ops import shape as shape_of
from ..ops.creation_ops import range as range_
from ..ops.indexing_ops import gather
from ..ops.input_ops import count_up_to, random_shuffle
from ..ops.queue_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from .queue_runner import QueueRunner, add_queue_runner


def limit_epochs(tensor, num_epochs=None, name=None):
    """``tensor``, but evaluating it more than ``num_epochs`` times raises OutOfRangeError."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name or "limit_epochs"), device("/cpu:0"):
        epochs = Variable(convert_to_tensor(0, dtype=int64), trainable=False, name="epochs",
                          collections=[GraphKeys.LOCAL_VARIABLES])
        counter = count_up_to(epochs, num_epochs)
        with control_dependencies([counter]):
            return identity(tensor, name="fraction_of_epoch")


def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None, capacity=32,
                   shared_name=None, summary_name=None, name=None, cancel_op=None):
    """A FIFOQueue fed with the rows of ``input_tensor``, ``num_epochs`` times (forever when None),
    shuffled per epoch when ``shuffle``."""
    with name_scope(name or "input_producer"):
        tensor = convert_to_tensor(input_tensor, name="input")
        element_shape = tensor.shape[1:] if element_shape is None else element_shape
        tensor = limit_epochs(tensor, num_epochs)
        if shuffle:
            tensor = random_shuffle(tensor, seed=seed)
        queue = FIFOQueue(capacity, [tensor.dtype], shapes=[element_shape], shared_name=shared_name)
        add_queue_runner(QueueRunner(queue, [queue.enqueue_many([tensor])]))
        return queue


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None, capacity=32,
                          shared_name=None, name=None, cancel_op=None):
    """A queue of filenames for a reader."""
    if isinstance(string_tensor, (list, tuple)) and not string_tensor:
        raise ValueError("string_input_producer requires a non-empty list of filenames")
    tensor = convert_to_tensor(string_tensor, dtype=string)
    return input_producer(tensor, [], num_epochs, shuffle, seed, capacity, shared_name,
                          name=name or "input_producer")


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                         name=None):
    """A queue of the integers 0 .. limit-1."""
    with name_scope(name or "input_producer"):
        return input_producer(range_(limit), [], num_epochs, shuffle, seed, capacity, shared_name)


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None,
                         name=None):
    """One row of each tensor per dequeue (the rows of the same index together)."""
    tensors = [convert_to_tensor(t) for t in tensor_list]
    if not tensors:
        raise ValueError("Expected at least one tensor in slice_input_producer().")
    with name_scope(name or "input_producer"):
        rows = tensors[0].shape[0].value
        indices = range_input_producer(shape_of(tensors[0])[0] if rows is None else rows, num_epochs, shuffle,
                                       seed, capacity, shared_name)
        index = indices.dequeue()
        return [gather(t, index) for t in tensors]


# -- batching --------------------------------------------------------------------------------
def _batch(tensor_lists, batch_size, capacity, enqueue_many, allow_smaller, shapes, dynamic_pad, name,
           shuffle=False, min_after_dequeue=0, seed=None, num_threads=1):
    structure = tensor_lists[0]
    lists = [[convert_to_tensor(t) for t in flatten(tensors)] for tensors in tensor_lists]
    dtypes = [t.dtype for t in lists[0]]
    if shapes is None:
        shapes = [t.shape[1:] if enqueue_many else t.shape for t in lists[0]]
    with name_scope(name):
        if shuffle:
            queue = RandomShuffleQueue(capacity, min_after_dequeue, dtypes, shapes, seed=seed)
        elif dynamic_pad:
            queue = PaddingFIFOQueue(capacity, dtypes, shapes)
        else:
            queue = FIFOQueue(capacity, dtypes, shapes)
        enqueue = queue.enqueue_many if enqueue_many else queue.enqueue
        ops = [enqueue(tensors) for tensors in lists for _ in range(num_threads if len(lists) == 1 else 1)]
        add_queue_runner(QueueRunner(queue, ops))
        out = queue.dequeue_up_to(batch_size) if allow_smaller else queue.dequeue_many(batch_size)
        return pack_as(structure, out if isinstance(out, list) else [out])


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None, dynamic_pad=False,
          allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches of ``batch_size`` (the structure of ``tensors``, each with a batch dimension)."""
    return _batch([tensors], batch_size, capacity, enqueue_many, allow_smaller_final_batch, shapes, dynamic_pad,
                  name or "batch", num_threads=num_threads)


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None, dynamic_pad=False,
               allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches from several lists of tensors, one enqueue thread each."""
    return _batch(list(tensors_list), batch_size, capacity, enqueue_many, allow_smaller_final_batch, shapes,
                  dynamic_pad, name or "batch_join")


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None, enqueue_many=False,
                  shapes=None, allow_smaller_final_batch=False, shared_name=None, name=None):
    """Random batches from a RandomShuffleQueue holding at least ``min_after_dequeue`` elements."""
    return _batch([tensors], batch_size, capacity, enqueue_many, allow_smaller_final_batch, shapes, False,
                  name or "shuffle_batch", True, min_after_dequeue, seed, num_threads)


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None, enqueue_many=False,
                       shapes=None, allow_smaller_final_batch=False, shared_name=None, name=None):
    """shuffle_batch from several lists of tensors, one enqueue thread each."""
    return _batch(list(tensors_list), batch_size, capacity, enqueue_many, allow_smaller_final_batch, shapes, False,
                  name or "shuffle_batch_join", True, min_after_dequeue, seed)


__all__ = ["batch", "batch_join", "input_producer", "limit_epochs", "range_input_producer", "shuffle_batch",
           "shuffle_batch_join", "slice_input_producer", "string_input_producer"]
