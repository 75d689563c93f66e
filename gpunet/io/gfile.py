"""``gn.io.gfile``: TF1's file helpers on the local file system, with TF1's errors (a missing path
raises ``gn.errors.NotFoundError``, not Python's ``FileNotFoundError``). ``gn.gfile`` holds the same
functions under their TF 1.x names (``Exists``, ``MakeDirs``, ``DeleteRecursively``...)."""
import contextlib
import glob as _glob
import os
import shutil

from .. import errors

__all__ = ["GFile", "copy", "exists", "glob", "isdir", "join", "listdir", "makedirs", "mkdir", "remove", "rename",
           "rmtree", "stat", "walk"]


@contextlib.contextmanager
def _tf_errors(path):
    """OS errors as TF1 raises them: NotFoundError for a missing path, else PermissionDeniedError-like OpError."""
    try:
        yield
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except OSError as exc:
        raise errors.OpError(None, None, f"{path}; {exc.strerror or exc}") from None


def exists(path) -> bool:
    """Whether ``path`` (a file or a directory) exists."""
    return os.path.exists(path)


def isdir(path) -> bool:
    """Whether ``path`` is a directory."""
    return os.path.isdir(path)


def join(path, *paths) -> str:
    """``os.path.join``."""
    return os.path.join(path, *paths)


def makedirs(path):
    """Create ``path`` and its missing parents; an existing directory is fine."""
    with _tf_errors(path):
        os.makedirs(path, exist_ok=True)


def mkdir(path):
    """Create the directory ``path`` (its parent must exist); an existing directory is fine."""
    with _tf_errors(path):
        if not os.path.isdir(path):
            os.mkdir(path)


def listdir(path) -> list:
    """The names of the entries of the directory ``path``."""
    if not os.path.isdir(path):
        raise errors.NotFoundError(None, None, f"Could not find directory {path}")
    return os.listdir(path)


def glob(pattern) -> list:
    """The paths matching ``pattern``."""
    return _glob.glob(pattern)


def remove(path):
    """Delete the file ``path``."""
    with _tf_errors(path):
        os.remove(path)


def rmtree(path):
    """Delete the directory ``path`` and everything under it (a file: just the file)."""
    if not os.path.exists(path):
        raise errors.NotFoundError(None, None, f"{path} not found")
    with _tf_errors(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def rename(oldname, newname, overwrite=False):
    """Move ``oldname`` to ``newname``; an existing ``newname`` needs ``overwrite=True``."""
    if not overwrite and os.path.exists(newname):
        raise errors.OpError(None, None, f"{newname}; File already exists")
    with _tf_errors(oldname):
        os.replace(oldname, newname)


def copy(oldpath, newpath, overwrite=False):
    """Copy the file ``oldpath`` to ``newpath``; an existing ``newpath`` needs ``overwrite=True``."""
    if not overwrite and os.path.exists(newpath):
        raise errors.OpError(None, None, f"{newpath}; File already exists")
    with _tf_errors(oldpath):
        shutil.copyfile(oldpath, newpath)


def stat(path):
    """``os.stat`` of ``path`` (``length``, ``mtime_nsec`` and ``is_directory`` as TF1's FileStatistics)."""
    with _tf_errors(path):
        info = os.stat(path)
    return _FileStatistics(info.st_size, info.st_mtime_ns, os.path.isdir(path))


class _FileStatistics:
    __slots__ = ("length", "mtime_nsec", "is_directory")

    def __init__(self, length, mtime_nsec, is_directory):
        self.length, self.mtime_nsec, self.is_directory = length, mtime_nsec, is_directory


def walk(top, in_order=True):
    """``(dirname, subdirs, files)`` for ``top`` and each directory under it (``os.walk``)."""
    return os.walk(top, topdown=in_order)


class GFile:
    """A file object as TF1's ``tf.gfile.GFile(name, mode)``: ``read``, ``write``, ``readline``,
    iteration and ``with``; a missing file opened for reading raises NotFoundError."""

    def __init__(self, name, mode="r"):
        with _tf_errors(name):
            self._file = open(name, mode)
        self.name, self.mode = name, mode

    def __getattr__(self, attr):
        return getattr(self._file, attr)

    def __iter__(self):
        return iter(self._file)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()

    def size(self) -> int:
        """The file's length in bytes."""
        return os.path.getsize(self.name)
