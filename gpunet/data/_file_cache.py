"""``cache(filename)``: the first pass that reaches the end writes the elements to a file; every later pass
(the next epoch, a new iterator, session or process over a dataset built the same way) reads them from it
without running the input pipeline.

The files of ``cache(prefix)``:

- ``<prefix>.gncache``: the cache (format: gpunet/data/_cache_format.py). It exists only once a pass has
  reached the end: a pass writes a temporary file, fsyncs it and renames it in place (``os.replace``), so
  a crash at any instant leaves no cache or a complete one, never half of one.
- ``<prefix>.gncache.tmp-<random>``: what a pass is writing; removed when the pass stops before the end
  (the iterator restarted, its session closed, an error upstream), or by the next writer after a crash.
- ``<prefix>.gncache.lockfile``: locked (``flock``) by the pass writing, so a second pass that would write
  the same cache meanwhile gets AlreadyExistsError, as in TF1. The kernel holds the lock, not the file:
  a process that dies releases it, and the lockfile it leaves does not block the next run (TF1's does
  until it is deleted by hand).

The directory must exist: a pass does not create it (NotFoundError, as TF1).
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import logging
import os
import secrets
import socket
import threading
import time

from .. import errors
from ..graph import Tensor
from ..graph.dtypes import string
from ..ops.record_io import masked_crc, tfrecord_frame
from ._cache_format import encode_element, end_record, header, read_elements
from ._ordering import _Cache
from ._resumable import Failed, caught, resumable
from .dataset import _Unary

__all__ = ["_FileCache"]

_log = logging.getLogger("gpunet.data")


class _FileCache(_Unary):
    """The input's elements, written to ``<prefix>.gncache`` by the first complete pass, read from it after.
    ``filename``: a str, bytes or os.PathLike, or a scalar string tensor (its value when the iterator is
    initialized; ``""`` caches in memory, as TF1)."""

    def __init__(self, input_dataset, filename):
        tensor = _string_scalar(filename) if isinstance(filename, Tensor) else None
        super().__init__(input_dataset, captures=() if tensor is None else [tensor])
        masked_crc(b"")  # the crc32c package, or an ImportError naming it now rather than mid-pipeline
        self._filename = tensor if tensor is not None else _prefix(filename)
        self._memory = _Cache(input_dataset)

    @property
    def _in_memory(self) -> bool:
        return False  # read from a file, not sliced from arrays

    def _elements(self, env):
        prefix = self._filename
        if isinstance(prefix, Tensor):
            prefix = os.fsdecode(env.values[prefix][()])
        return self._passing(env, _CacheFiles(prefix)) if prefix else self._memory._elements(env)

    @resumable
    def _passing(self, env, files):
        """A generator: the files are looked at when the pass starts, by the first element asked for. An input
        element's error is handed on, not written (TF's cache holds the others), and the pass goes on."""
        if not os.path.exists(files.path):
            with _file_errors(files.lockfile):
                lock = _Lock.take(files.lockfile)
            if not os.path.exists(files.path):  # still not there: nobody completed it while we took the lock
                yield from self._writing(env, files, lock)
                return
            lock.release()
        with _file_errors(files.path), open(files.path, "rb") as file:
            yield from read_elements(file, self._structure, files.path)

    def _writing(self, env, files, lock):
        try:
            with _file_errors(files.path):
                writer = _Writer(files, lock, self._structure)
        except BaseException:
            lock.release()
            raise
        env.closers.append(writer.abandon)  # the iterator restarts or its session closes: the pass stops
        try:
            for element in caught(self._input._elements(env)):
                if element.__class__ is not Failed and not writer.write(element):
                    return  # abandoned by a closer meanwhile
                yield element
            writer.finish()
        finally:
            writer.abandon()  # nothing once finished


def _string_scalar(tensor):
    """``tensor`` if a scalar string; else ValueError, as TF1."""
    if tensor.dtype != string:
        raise ValueError(f"filename: Tensor conversion requested dtype string for Tensor with dtype "
                         f"{tensor.dtype.name}: {tensor.name}")
    if tensor.shape.ndims not in (None, 0):
        raise ValueError(f"filename: Shape must be rank 0 but is rank {tensor.shape.ndims} ({tensor.name})")
    return tensor


def _prefix(filename) -> str:
    if not isinstance(filename, (str, bytes, os.PathLike)):
        raise TypeError(f"Dataset.cache(filename) takes a str, os.PathLike or a string tensor, got "
                        f"{type(filename).__name__}")
    return os.fsdecode(filename)


class _CacheFiles:
    """The paths of the files of ``cache(prefix)``."""

    def __init__(self, prefix):
        self.path = prefix + ".gncache"
        self.lockfile = self.path + ".lockfile"
        self.directory = os.path.dirname(self.path) or "."

    def new_temp(self):
        """A new temporary file (permissions per the umask, as any file written) and its path."""
        path = f"{self.path}.tmp-{secrets.token_hex(8)}"
        return open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb"), path

    def remove_stale_temps(self):
        """Temporary files of writers that died (called with the lock held: no live writer has one)."""
        for path in glob.glob(glob.escape(self.path) + ".tmp-*"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class _Lock:
    """The writer's lock: an ``flock`` on the lockfile, which the kernel releases if the process dies."""

    def __init__(self, path, fd):
        self.path, self._fd = path, fd

    @classmethod
    def take(cls, path):
        """The lock, or AlreadyExistsError while another pass holds it."""
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 4096).decode(errors="replace").strip()
                os.close(fd)
                raise _held_by_another(path, holder) from None
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, path):
                os.ftruncate(fd, 0)
                os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {time.ctime()}\n".encode())
                return cls(path, fd)
            os.close(fd)  # its holder removed it after we opened it: lock the one at ``path`` now

    def release(self):
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # while still locked, so no other pass locks this file meanwhile
        os.close(self._fd)
        self._fd = None


def _same_file(fd, path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _held_by_another(path, holder):
    return errors.AlreadyExistsError(None, None, (
        f"There appears to be a concurrent caching iterator running - cache lockfile {path} is locked by "
        f"another pass writing the same cache ({holder or 'no details'}). Wait for it to end, or cache to "
        f"another filename. (A lockfile left by a process that died is not locked and is taken over.)"))


class _Writer:
    """One pass writing the cache: its temporary file, the count of elements written, the lock it holds.
    Thread-safe: a closer may abandon it from another thread while the pass writes."""

    def __init__(self, files, lock, structure):
        self._files, self._lock, self._dtypes = files, lock, structure.flat_dtypes
        self._mutex = threading.Lock()
        files.remove_stale_temps()
        self._file, self._temp = files.new_temp()
        self._count, self._done = 0, False
        try:
            self._file.write(tfrecord_frame(header(structure)))
        except BaseException:
            self.abandon()
            raise

    def write(self, element) -> bool:
        """Appends ``element``; False once abandoned."""
        record = tfrecord_frame(encode_element(element, self._dtypes))
        with self._mutex, _file_errors(self._temp):
            if self._done:
                return False
            self._file.write(record)
            self._count += 1
            return True

    def finish(self):
        """Completes the file and renames it in place, durably: the cache exists from now on."""
        with self._mutex, _file_errors(self._files.path):
            if self._done:
                return
            self._file.write(tfrecord_frame(end_record(self._count)))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp, self._files.path)
            _fsync_directory(self._files.directory)
            self._done = True
            self._lock.release()

    def abandon(self):
        """Removes the temporary file and releases the lock, unless finished."""
        with self._mutex:
            if self._done:
                return
            self._done = True
            _log.warning("Dataset.cache: the pass writing %s stopped after %d elements, before the end: what it "
                         "wrote is discarded. A pipeline like cache(f).take(k) never completes the cache; use "
                         "take(k).cache(f).", self._files.path, self._count)
            with contextlib.suppress(OSError):
                self._file.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temp)
            self._lock.release()


def _fsync_directory(directory):
    """Makes the rename durable (a crash right after it keeps the cache)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_CLASSES = {errno.ENOENT: errors.NotFoundError, errno.ENOTDIR: errors.FailedPreconditionError,
            errno.EACCES: errors.PermissionDeniedError, errno.EPERM: errors.PermissionDeniedError,
            errno.EROFS: errors.PermissionDeniedError, errno.ENOSPC: errors.ResourceExhaustedError,
            errno.EDQUOT: errors.ResourceExhaustedError}


@contextlib.contextmanager
def _file_errors(path):
    """OSErrors on the cache's files as the gn.errors TF1 raises for them, naming the file."""
    try:
        yield
    except OSError as exc:
        directory = os.path.dirname(path) or "."
        hint = "" if exc.errno != errno.ENOENT or os.path.isdir(directory) else (
            f" (the directory {directory} does not exist: Dataset.cache does not create it)")
        error = _CLASSES.get(exc.errno, errors.FailedPreconditionError)
        raise error(None, None, f"Dataset.cache: {path}: {exc.strerror or exc}{hint}") from None
