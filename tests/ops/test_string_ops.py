"""The string ops (gpunet/ops/string_ops.py, string_regex_ops.py) against TF1's outputs and errors, frozen by
tests/ops/make_string_reference.py from the cases of tests/ops/string_cases.py; placement on the host."""
import json
import pathlib

import numpy as np
import pytest

import gpunet as gn
from gpunet.ops.string_encoding_ops import fingerprint64
from tests.ops.string_cases import CASES, FINGERPRINT_LENGTHS, const, fingerprint_input

FROZEN = json.loads(pathlib.Path(__file__).with_name("string_reference.json").read_text())
REFERENCE = FROZEN["cases"]
BUILDERS = dict(CASES)
LOCAL = "/job:localhost/replica:0/task:0"

# RE2 syntax with no Python equivalent: gpunet refuses it with a clear error where TF matches (see string_regex_ops)
KNOWN_GAPS = {"regex_full_match-any-byte", "regex_full_match-unicode-class"}
BUILD_ERRORS = {"ValueError": ValueError, "TypeError": TypeError}
# Errors Python's re reports in its own words: the message matches TF's up to "error: ".
PYTHON_RE_MESSAGES = {"regex_replace-unbalanced"}


def decode(frozen):
    """A frozen TF value as NumPy: string data (latin-1 text, one character per byte) as an object array."""
    if "sparse" in frozen:
        return gn.SparseTensorValue(*[decode(part) for part in frozen["sparse"]])
    if frozen["dtype"].startswith("bytes"):  # a 0-d string: TF fetches it as bytes
        return frozen["data"][0].encode("latin-1")
    if frozen["dtype"] == "string":
        out = np.empty(len(frozen["data"]), dtype=object)
        out[:] = [text.encode("latin-1") for text in frozen["data"]]
        return out.reshape(frozen["shape"])
    return np.array(frozen["data"], dtype=frozen["dtype"]).reshape(frozen["shape"])


def assert_same(got, want, case_id):
    if isinstance(want, gn.SparseTensorValue):
        assert isinstance(got, gn.SparseTensorValue), f"{case_id}: {type(got).__name__}"
        for part, expected in zip(got, want):
            assert_same(part, expected, case_id)
        return
    if isinstance(want, bytes):
        assert isinstance(got, bytes) and got == want, f"{case_id}: {got!r} vs {want!r}"
        return
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, f"{case_id}: {got.dtype}{got.shape} vs " \
                                                                f"{want.dtype}{want.shape}"
    if want.dtype == object:
        assert all(isinstance(v, bytes) for v in got.ravel()), case_id
        assert got.tolist() == want.tolist(), case_id
    else:
        np.testing.assert_array_equal(got, want, err_msg=case_id)


@pytest.mark.parametrize("case_id", sorted(REFERENCE))
def test_matches_tf1(case_id, device):
    frozen = REFERENCE[case_id]
    if frozen.get("at") == "build":
        with gn.device(device), pytest.raises(BUILD_ERRORS[frozen["error"]]) as info:
            BUILDERS[case_id](gn)
        # TF adds the node it was building, gpunet the op and its inputs
        assert frozen["message"].startswith(str(info.value).split(" (op '")[0]), case_id
        return
    with gn.device(device):
        output = BUILDERS[case_id](gn)
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        if case_id in KNOWN_GAPS:
            with pytest.raises(gn.errors.InvalidArgumentError, match="is not supported by gpunet's regex ops"):
                sess.run(output)
        elif "error" in frozen:
            with pytest.raises(getattr(gn.errors, frozen["error"])) as info:
                sess.run(output)
            message = str(info.value).split("\n\t [[")[0].strip()
            want = frozen["message"]
            if case_id in PYTHON_RE_MESSAGES:
                message, want = message.split("error: ")[0], want.split("error: ")[0]
            assert message == want
        else:
            got = sess.run(output)
            assert_same(got, decode(frozen), case_id)
            for tensor, value in zip(output if isinstance(output, tuple) else [output],
                                     got if isinstance(output, tuple) else [got]):
                assert tensor.shape.is_compatible_with(np.shape(value)), f"{case_id}: {tensor.shape}"


def test_fingerprint64_is_tfs_at_every_length_range():
    got = [str(fingerprint64(fingerprint_input(n))) for n in FINGERPRINT_LENGTHS]
    assert got == FROZEN["fingerprint64"]


def test_every_case_is_frozen():
    assert sorted(REFERENCE) == sorted(BUILDERS)


def _host_rows(output, device, soft):
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=soft)) as sess:
        report = sess.placement_report(output)
    return [r for r in report.rows if r.type not in ("Const",)]


@pytest.mark.parametrize("build", [
    lambda: gn.strings.upper(const(gn, ["a"])), lambda: gn.string_to_number(const(gn, ["1"])),
    lambda: gn.as_string(gn.constant([1.0])), lambda: gn.string_split(const(gn, ["a b"])).values],
    ids=["upper", "to_number", "as_string", "split"])
def test_string_ops_run_on_the_cpu_from_any_device_with_soft_placement(build, device):
    with gn.device(device):
        output = build()
    rows = _host_rows(output, device, soft=True)
    assert rows and all(r.assigned == f"{LOCAL}/device:CPU:0" for r in rows), [(r.op, r.assigned) for r in rows]


def test_a_string_op_pinned_to_a_gpu_without_soft_placement_is_an_error(vgpus):
    with gn.device("/gpu:0"):
        output = gn.strings.length(const(gn, ["abc"]), name="n")
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        sess.run(output)
    assert "Cannot assign a device for operation n" in str(info.value)
    assert "because no supported kernel for GPU devices is available" in str(info.value)


def test_string_ops_have_no_gradient():
    x = gn.constant([1.5, 2.0])
    text = gn.as_string(x)
    assert gn.gradients(gn.string_to_number(text), [x]) == [None]


def test_fed_placeholders_of_unknown_shape():
    text = gn.placeholder(gn.string, None)
    joined = gn.reduce_join(gn.strings.upper(gn.placeholder(gn.string, [None, 2], name="grid")), axis=1)
    length = gn.strings.length(text, unit="UTF8_CHAR")
    assert joined.shape.as_list() == [None] and length.shape.rank is None
    with gn.Session() as sess:
        got = sess.run([joined, length], {"grid:0": [["a", "b"], ["c", "é"]], text: ["✓✓", "ab"]})
    assert got[0].tolist() == [b"AB", "Cé".encode()] and got[1].tolist() == [2, 2]


@pytest.mark.parametrize("build, error, message", [
    (lambda: gn.string_to_number(["1"], out_type=gn.int8), TypeError, "out_type must be one of"),
    (lambda: gn.substr(["a"], 0, 1, unit="CHAR"), ValueError, "unit must be one of BYTE, UTF8_CHAR"),
    (lambda: gn.substr(["a"], 0, gn.constant(1, gn.int64)), TypeError, "both be int32 or both int64"),
    (lambda: gn.strings.lower(["a"], encoding="latin-1"), ValueError, "encoding must be"),
    (lambda: gn.string_split(["a"], result_type="RaggedTensor"), ValueError, "gpunet has no RaggedTensor"),
    (lambda: gn.string_split([["a"]]), ValueError, "Shape must be rank 1 but is rank 2"),
    (lambda: gn.reduce_join([["a"]], axis=-3), ValueError, "Invalid reduction dimension -3 for input with 2"),
    (lambda: gn.regex_replace(["a"], gn.constant("a"), "b"), TypeError, "a pattern tensor is not supported"),
    (lambda: gn.string_join([]), ValueError, "at least one input"),
    (lambda: gn.as_string(gn.constant(["a"]), width=3).op.inputs[0].dtype.name == "string" and
     gn.as_string([[None]]), TypeError, "Failed to convert object"),
])
def test_bad_arguments_at_build_time(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("pattern, message", [
    ("[[:foo:]]", "invalid character class range: [:foo:]"),  # TF 2.21 fails formatting this error
    ("[[:^alpha:]]", "negated POSIX classes are not supported here: [:^alpha:]"),
])
def test_posix_classes_re2_refuses_or_gpunet_cannot_spell(pattern, message):
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        sess.run(gn.strings.regex_full_match(["a"], pattern))
    assert str(info.value).startswith(f"Invalid pattern: {pattern}, error: {message}")


def _fed_error(output, feed, message):
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        sess.run(output, feed)
    assert str(info.value).split("\n\t [[")[0] == message


def test_run_time_shape_errors_of_fed_inputs_are_tfs():
    """The messages TF 2.21 gives for these feeds (checked by hand against tf.compat.v1)."""
    a, b = gn.placeholder(gn.string, None), gn.placeholder(gn.string, None)
    pos = gn.placeholder(gn.int32, None)
    _fed_error(gn.string_join([a, b]), {a: ["x", "y"], b: ["p", "q", "r"]}, "Input shapes do not match: [2] vs. [3]")
    _fed_error(gn.string_join([a, b]), {a: [["x"]], b: ["p"]}, "Input shapes do not match: [1,1] vs. [1]")
    _fed_error(gn.string_split(a).values, {a: [["x"]]}, "input must be a vector, got shape: [1,1]")
    _fed_error(gn.strings.split(a).values, {a: "x y"}, "input must be a vector, got shape: []")
    _fed_error(gn.substr(a, pos, pos), {a: ["ab", "cd"], pos: [0, 1, 0]}, "Incompatible shapes: [2] vs. [3]")
    _fed_error(gn.reduce_join(a, axis=[1, -1]), {a: [["x"]]}, "Duplicate reduction dimension 1")


def test_reduce_join_of_unknown_rank_and_shapes_it_infers():
    a = gn.placeholder(gn.string, None)
    grid = gn.placeholder(gn.string, [None, 3])
    assert gn.reduce_join(a, axis=1).shape.rank is None
    assert gn.reduce_join(grid, axis=-1, keep_dims=True).shape.as_list() == [None, 1]
    assert gn.reduce_join(grid).shape.as_list() == []
    with gn.Session() as sess:
        got = sess.run(gn.reduce_join(a, axis=-1, separator="+"), {a: [["a", "b"], ["c", "d"]]})
    assert got.tolist() == [b"a+b", b"c+d"]

