"""QueueRunner: threads that run enqueue ops until their input ends, reporting to a Coordinator."""
from __future__ import annotations

import threading

from .. import errors
from ..graph import GraphKeys, add_to_collection, get_default_session

_POLL_SECS = 0.05  # how often the closer thread looks whether its session was closed


class QueueRunner:
    """``QueueRunner(queue, enqueue_ops)``: one thread per enqueue op. When every thread has hit
    OutOfRangeError (its input ended) the queue is closed, so dequeues drain it and then end."""

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None):
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner needs a queue and a non-empty list of enqueue_ops")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        self._closed_types = tuple(queue_closed_exception_types or (errors.OutOfRangeError,))
        self._lock = threading.Lock()
        self._runs = 0
        self.exceptions_raised = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return list(self._enqueue_ops)

    @property
    def name(self):
        return self._queue.name

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """The runner's threads (one per enqueue op, plus one that closes the queue when ``coord``
        requests a stop); started when ``start``."""
        with self._lock:
            self._runs = len(self._enqueue_ops)
            self.exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord), daemon=daemon,
                                    name=f"QueueRunner:{self.name}:{i}") for i, op in enumerate(self._enqueue_ops)]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord), daemon=daemon,
                                            name=f"QueueRunnerCloser:{self.name}"))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads

    def _run(self, sess, enqueue_op, coord):
        try:
            while coord is None or not coord.should_stop():
                try:
                    sess.run(enqueue_op)
                except self._closed_types:
                    self._last_one_closes(sess)
                    return
        except (errors.CancelledError, RuntimeError) as exc:
            if not _session_closed(sess, exc):
                self._report(exc, coord)
        except Exception as exc:  # noqa: BLE001 — every other failure goes to the coordinator
            self._report(exc, coord)

    def _last_one_closes(self, sess):
        with self._lock:
            self._runs -= 1
            last = self._runs == 0
        if last:
            try:
                sess.run(self._close_op)
            except Exception:  # noqa: BLE001 — the session may be closing meanwhile
                pass

    def _report(self, exc, coord):
        with self._lock:
            self.exceptions_raised.append(exc)
        if coord is not None:
            coord.request_stop(exc)
        else:
            raise exc

    def _close_on_stop(self, sess, coord):
        """Waits for a stop (or the session's close) and then cancels pending enqueues."""
        while not coord.wait_for_stop(_POLL_SECS):
            if getattr(sess, "_closed", False):
                return
        try:
            sess.run(self._cancel_op)
        except Exception:  # noqa: BLE001 — closed session: its queues are cancelled already
            pass


def _session_closed(sess, exc) -> bool:
    return getattr(sess, "_closed", False) or isinstance(exc, errors.CancelledError)


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    """Adds ``qr`` to the graph's collection (``start_queue_runners`` starts them)."""
    add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True, collection=GraphKeys.QUEUE_RUNNERS):
    """Starts the threads of every queue runner in ``collection``; returns them all."""
    if sess is None:
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot start queue runners: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to start_queue_runners(sess=sess)")
    threads = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]
