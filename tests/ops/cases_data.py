"""The input-pipeline ops (queues, readers, iterators, decoders: gpunet/ops/queue_ops.py,
reader_ops.py, iterator_ops.py, parsing_ops.py, input_ops.py) are stateful host ops on strings
and session resources, with no NumPy reference a kernel case could compare: each is checked by
tests/data/ (values, ends of input, errors, placement from a GPU scope)."""

CASES = []

_WHERE = {
    "QueueHandle": "test_queues.py", "QueueEnqueue": "test_queues.py", "QueueDequeue": "test_queues.py",
    "QueueClose": "test_queues.py", "QueueSize": "test_queues.py", "CountUpTo": "test_queues.py",
    "RandomShuffle": "test_recipes.py", "ReaderHandle": "test_records.py", "ReaderRead": "test_records.py",
    "ReaderCount": "test_records.py", "ReaderReset": "test_records.py", "DecodeCSV": "test_records.py",
    "DecodeRaw": "test_records.py", "ParseExample": "test_records.py", "IteratorHandle": "test_dataset.py",
    "IteratorInit": "test_dataset.py", "IteratorGetNext": "test_dataset.py", "IteratorStart": "test_device_feed.py",
}

HOST_OPS = {op_type: f"input pipeline host op: tests/data/{where}" for op_type, where in _WHERE.items()}
EXEMPT = {**HOST_OPS, "IteratorGetNextOnDevice": "hands out what a prefetch thread put on its device (no inputs, "
                                                 "no NumPy reference): tests/data/test_device_feed.py"}
