"""``gn.gfile``: TF 1.x's ``tf.gfile`` names over the functions of ``gn.io.gfile``."""
from .io.gfile import GFile, copy, exists, glob, isdir, listdir, makedirs, mkdir, remove, rename, rmtree, stat, walk

__all__ = ["Copy", "DeleteRecursively", "Exists", "FastGFile", "GFile", "Glob", "IsDirectory", "ListDirectory",
           "MakeDirs", "MkDir", "Open", "Remove", "Rename", "Stat", "Walk"]

Copy, DeleteRecursively, Exists, Glob, IsDirectory = copy, rmtree, exists, glob, isdir
ListDirectory, MakeDirs, MkDir, Remove, Rename, Stat, Walk = listdir, makedirs, mkdir, remove, rename, stat, walk
FastGFile = Open = GFile
