"""gn.app.flags (absl-style over argparse) and gn.app.run."""
import subprocess
import sys
import textwrap

import pytest

import gpunet as gn
from gpunet.app import flags


@pytest.fixture
def fv():
    values = flags.FlagValues()
    flags.DEFINE_string("data_dir", "/tmp/data", "Where the data is.", flag_values=values)
    flags.DEFINE_integer("max_steps", 2000, "Steps to run.", flag_values=values)
    flags.DEFINE_float("learning_rate", 0.01, "Initial learning rate.", flag_values=values)
    flags.DEFINE_boolean("fake_data", False, "Use fake data.", flag_values=values)
    flags.DEFINE_enum("mode", "train", ["train", "eval"], "What to do.", flag_values=values)
    return values


def test_flags_module_has_both_tf1_paths():
    assert gn.flags is gn.app.flags is flags and gn.compat.v1.app.flags.FLAGS is flags.FLAGS


def test_defaults_before_any_command_line(fv):
    assert (fv.data_dir, fv.max_steps, fv.learning_rate, fv.fake_data, fv.mode) == ("/tmp/data", 2000, 0.01, False,
                                                                                    "train")
    assert isinstance(fv.max_steps, int) and isinstance(fv.learning_rate, float)


@pytest.mark.parametrize("argv, name, value", [
    (["--max_steps=5"], "max_steps", 5), (["--max_steps", "7"], "max_steps", 7),
    (["--learning_rate=0.5"], "learning_rate", 0.5), (["--data_dir=/x y"], "data_dir", "/x y"),
    (["--fake_data"], "fake_data", True), (["--fake_data=true"], "fake_data", True),
    (["--fake_data=false"], "fake_data", False), (["--fake_data", "--nofake_data"], "fake_data", False),
    (["--mode=eval"], "mode", "eval"),
])
def test_command_line_values(fv, argv, name, value):
    remaining = fv(["prog", *argv, "positional"])
    assert getattr(fv, name) == value and remaining == ["prog", "positional"] and fv.is_parsed()


@pytest.mark.parametrize("argv, message", [
    (["--unknown_flag=1"], "Unknown command line flag 'unknown_flag'"),
    (["--max_steps=1.5"], "'1.5' is not a valid int"), (["--learning_rate=fast"], "'fast' is not a valid float"),
    (["--fake_data=maybe"], "'maybe' is not a valid bool"), (["--mode=test"], "'test' is not a valid one of"),
])
def test_bad_command_lines_name_the_problem(fv, argv, message):
    with pytest.raises(flags.Error, match=message):
        fv(["prog", *argv])


def test_definitions_are_checked(fv):
    with pytest.raises(flags.Error, match="The flag 'max_steps' is defined twice"):
        flags.DEFINE_integer("max_steps", 1, "again", flag_values=fv)
    with pytest.raises(flags.Error, match="default 1.5 is not a valid int"):
        flags.DEFINE_integer("steps", 1.5, "a float", flag_values=fv)
    with pytest.raises(AttributeError, match="Unknown flag 'nope'"):
        _ = fv.nope
    fv.max_steps = 3  # assigning a flag works, as in absl
    assert fv.max_steps == 3 and fv.flag_values_dict()["max_steps"] == 3


def _run_script(body, *args):
    code = textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


SCRIPT = """
    import sys
    import gpunet.compat.v1 as tf
    flags = tf.app.flags
    flags.DEFINE_integer("max_steps", 10, "steps")
    flags.DEFINE_boolean("fake_data", False, "fake")
    FLAGS = flags.FLAGS

    def main(argv):
        print("steps", FLAGS.max_steps, "fake", FLAGS.fake_data, "argv", argv[1:])
        return 3

    if __name__ == "__main__":
        tf.app.run()
"""


def test_app_run_parses_argv_and_exits_with_main_result():
    result = _run_script(SCRIPT, "--max_steps=4", "--fake_data", "extra")
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == "steps 4 fake True argv ['extra']"


def test_app_run_refuses_an_unknown_flag_clearly():
    result = _run_script(SCRIPT, "--max_stepz=4")
    assert result.returncode == 1 and "Unknown command line flag 'max_stepz'" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_run_takes_main_and_argv(monkeypatch):
    flags.DEFINE_integer("tf1_names_test_flag", 1, "only for this test")
    seen = []
    with pytest.raises(SystemExit) as exit_info:
        gn.app.run(main=lambda argv: seen.append((argv, flags.FLAGS.tf1_names_test_flag)),
                   argv=["prog", "--tf1_names_test_flag=9", "x"])
    assert exit_info.value.code is None and seen == [(["prog", "x"], 9)]
