"""gn.gfile (TF 1.x names) and gn.io.gfile on the local file system, with TF1's errors."""
import os

import pytest

import gpunet as gn
import gpunet.compat.v1 as tf


def test_tf1_names_are_the_io_gfile_functions():
    pairs = {"Exists": "exists", "MakeDirs": "makedirs", "MkDir": "mkdir", "DeleteRecursively": "rmtree",
             "ListDirectory": "listdir", "IsDirectory": "isdir", "Glob": "glob", "Remove": "remove",
             "Rename": "rename", "Copy": "copy", "Stat": "stat", "Walk": "walk", "GFile": "GFile", "Open": "GFile"}
    for old, new in pairs.items():
        assert getattr(gn.gfile, old) is getattr(gn.io.gfile, new), old
    assert tf.gfile is gn.gfile and tf.io.gfile is gn.io.gfile


def test_the_directory_life_cycle_of_a_training_script(tmp_path):
    train_dir = str(tmp_path / "a" / "b")
    assert not gn.gfile.Exists(train_dir)
    gn.gfile.MakeDirs(train_dir)
    gn.gfile.MakeDirs(train_dir)  # an existing directory is fine
    assert gn.gfile.Exists(train_dir) and gn.gfile.IsDirectory(train_dir)
    with gn.gfile.GFile(os.path.join(train_dir, "f.txt"), "w") as f:
        f.write("hello\n")
    gn.gfile.MkDir(os.path.join(train_dir, "sub"))
    assert sorted(gn.gfile.ListDirectory(train_dir)) == ["f.txt", "sub"]
    assert gn.gfile.Glob(os.path.join(train_dir, "*.txt")) == [os.path.join(train_dir, "f.txt")]
    with gn.gfile.GFile(os.path.join(train_dir, "f.txt")) as f:
        assert f.read() == "hello\n" and f.size() == 6
    assert gn.gfile.Stat(os.path.join(train_dir, "f.txt")).length == 6
    gn.gfile.Copy(os.path.join(train_dir, "f.txt"), os.path.join(train_dir, "g.txt"))
    gn.gfile.Rename(os.path.join(train_dir, "g.txt"), os.path.join(train_dir, "h.txt"))
    assert sorted(gn.gfile.ListDirectory(train_dir)) == ["f.txt", "h.txt", "sub"]
    gn.gfile.Remove(os.path.join(train_dir, "h.txt"))
    gn.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not gn.gfile.Exists(str(tmp_path / "a"))


@pytest.mark.parametrize("call, message", [
    (lambda p: gn.gfile.DeleteRecursively(p), "{p} not found"),
    (lambda p: gn.gfile.Remove(p), "{p}; No such file or directory"),
    (lambda p: gn.gfile.ListDirectory(p), "Could not find directory {p}"),
    (lambda p: gn.gfile.GFile(p).read(), "{p}; No such file or directory"),
    (lambda p: gn.gfile.Rename(p, p + "2"), "{p}; No such file or directory"),
    (lambda p: gn.gfile.Copy(p, p + "2"), "{p}; No such file or directory"),
    (lambda p: gn.gfile.Stat(p), "{p}; No such file or directory"),
])
def test_a_missing_path_raises_not_found_as_tf1(tmp_path, call, message):
    path = str(tmp_path / "missing")
    with pytest.raises(gn.errors.NotFoundError) as info:
        call(path)
    assert info.value.message == message.format(p=path)


def test_rename_and_copy_refuse_to_overwrite_unless_asked(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("A")
    b.write_text("B")
    for move in (gn.gfile.Copy, gn.gfile.Rename):
        with pytest.raises(gn.errors.OpError, match="File already exists"):
            move(str(a), str(b))
    gn.gfile.Copy(str(a), str(b), overwrite=True)
    assert b.read_text() == "A"
