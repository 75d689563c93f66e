"""``gn.train.start_queue_runners``: TF1's call that starts the threads of the queue runners in a
graph's ``QUEUE_RUNNERS`` collection. gpunet has no input queues of its own, so a graph holds runners
only where user code adds objects with TF1's ``create_threads``; TF1 scripts that call it for their
(replaced) input pipeline get an empty list of threads, as TF1 gives for a graph without runners."""
from ..graph import GraphKeys, get_default_session

__all__ = ["start_queue_runners"]


def start_queue_runners(sess=None, coord=None, daemon=True, start=True, collection=GraphKeys.QUEUE_RUNNERS):
    """Start the threads of every queue runner in ``collection`` of ``sess``'s graph; returns them."""
    sess = sess or get_default_session()
    if sess is None:
        raise ValueError("Cannot start queue runners: No default session is registered. Use `with "
                         "sess.as_default()` or pass an explicit session to start_queue_runners(sess=sess)")
    threads = []
    for runner in sess.graph.get_collection(collection):
        threads.extend(runner.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
