"""The string-op cases checked against TF1: each builds its op from a module ``m`` (TF's tf.compat.v1 when
tests/ops/make_string_reference.py freezes TF's outputs, ``gpunet`` in tests/ops/test_string_ops.py), so both
sides build the very same call. Inputs sweep 0-d, empty and n-d tensors, non-ASCII UTF-8 and bad input."""
import numpy as np

UNICODE = "héllo wörld ✓"


def strings(value, shape=None):
    """An object array of UTF-8 bytes (TF's string tensor value)."""
    flat = [v.encode("utf-8") if isinstance(v, str) else v for v in np.ravel(np.array(value, dtype=object))]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(np.shape(value) if shape is None else shape)


def const(m, value, shape=None):
    return m.constant(strings(value, shape), dtype=m.string)


EMPTY = strings([], (0, 3))
GRID = strings([["a", "bc", ""], ["déf", " g ", "H"]])
NUMBERS = strings(["1.5", " -2 ", "1e3", "inf", "-nan", "0x1p3", "+7"])


def _as_string(**kw):
    return [(f"as_string-{dtype}-{'-'.join(f'{k}{v}' for k, v in kw.items()) or 'plain'}",
             lambda m, d=dtype, v=values: m.as_string(m.constant(v, dtype=getattr(m, d)), **kw))
            for dtype, values in [("float32", [[1.5, -2.25], [1e10, 0.1]]), ("float64", [3.14159265358979, -0.0]),
                                  ("int32", [7, -12]), ("int64", [2 ** 40]), ("bool", [True, False])]
            if dtype.startswith("float") or not set(kw) & {"precision", "scientific", "shortest"}]


CASES = [
    *_as_string(), *_as_string(precision=2), *_as_string(scientific=True), *_as_string(shortest=True),
    *_as_string(width=8), *_as_string(width=8, fill="0"), *_as_string(width=6, fill="-"),
    *_as_string(precision=3, width=12, fill=" "),
    ("as_string-0d", lambda m: m.as_string(m.constant(2.5))),
    ("as_string-empty", lambda m: m.as_string(m.zeros([0, 2]))),
    ("as_string-inf-nan", lambda m: m.as_string(m.constant([np.inf, -np.inf, np.nan]))),
    *[(f"as_string-{t}", lambda m, t=t: m.as_string(m.constant([[1, 2], [3, 100]], dtype=getattr(m, t)), width=4))
      for t in ("int8", "int16", "uint8", "float16")],
    ("as_string-float16-shortest", lambda m: m.as_string(m.constant([0.1, 65504.0], dtype=m.float16), shortest=True)),
    ("as_string-of-strings", lambda m: m.as_string(const(m, ["ab", "é"]), width=4)),
    ("as_string-int-scientific", lambda m: m.as_string(m.constant([1]), scientific=True)),
    ("as_string-int64-shortest", lambda m: m.as_string(m.constant([1], dtype=m.int64), shortest=True)),
    ("as_string-float-sign-fill", lambda m: m.as_string(m.constant([1.5, -1.5]), fill="+", width=7, precision=1)),
    ("as_string-float-hash-fill", lambda m: m.as_string(m.constant([2.0]), fill="#", shortest=True)),
    ("as_string-int-precision", lambda m: m.as_string(m.constant([1]), precision=2)),
    ("as_string-both-notations", lambda m: m.as_string(m.constant([1.0]), scientific=True, shortest=True)),
    ("as_string-bad-fill", lambda m: m.as_string(m.constant([1.0]), fill="x")),
    ("as_string-long-fill", lambda m: m.as_string(m.constant([1.0]), fill="00")),
    *[(f"to_number-{t}", lambda m, t=t: m.string_to_number(const(m, NUMBERS[:4]), out_type=getattr(m, t)))
      for t in ("float32", "float64")],
    ("to_number-int32", lambda m: m.strings.to_number(const(m, ["12", " -3", "+4 ", "2147483647"]),
                                                      out_type=m.int32)),
    ("to_number-int64", lambda m: m.string_to_number(const(m, [["9223372036854775807"], ["-1"]]), out_type=m.int64)),
    ("to_number-0d", lambda m: m.string_to_number("2.5")),
    ("to_number-empty", lambda m: m.string_to_number(const(m, EMPTY))),
    ("to_number-abc", lambda m: m.string_to_number(const(m, ["1", "abc"]))),
    ("to_number-int-of-float", lambda m: m.string_to_number(const(m, ["1.5"]), out_type=m.int32)),
    ("to_number-int32-overflow", lambda m: m.string_to_number(const(m, ["2147483648"]), out_type=m.int32)),
    ("to_number-empty-string", lambda m: m.string_to_number(const(m, [""]))),
    ("to_number-hex-float", lambda m: m.string_to_number(const(m, ["0x1p3"]))),
    ("to_number-float32-overflow", lambda m: m.string_to_number(const(m, ["1e40"]))),
    ("to_number-float64-of-1e40", lambda m: m.string_to_number(const(m, ["1e40", "1e-50"]), out_type=m.float64)),
    ("to_number-underscore", lambda m: m.string_to_number(const(m, ["1_000"]))),
    ("to_number-int-underscore", lambda m: m.string_to_number(const(m, ["1_000"]), out_type=m.int64)),
    ("to_number-int-hex", lambda m: m.string_to_number(const(m, ["0x10"]), out_type=m.int32)),
    ("to_number-trailing-junk", lambda m: m.string_to_number(const(m, ["1.5x"]))),
    ("to_number-underflow", lambda m: m.string_to_number(const(m, ["1e-50", "-1e-50"]))),
    ("to_number-leading-zeros", lambda m: m.string_to_number(const(m, ["007", "-0"]), out_type=m.int32)),
    ("to_number-unicode-digits", lambda m: m.string_to_number(const(m, ["١٢"]), out_type=m.int32)),
    ("to_number-inner-space", lambda m: m.string_to_number(const(m, ["1 2"]))),
    ("to_number-nan", lambda m: m.string_to_number(const(m, ["-nan", "NaN", "Infinity"]), out_type=m.float64)),
    ("join-scalars-broadcast", lambda m: m.string_join([const(m, "x"), const(m, GRID), "y"], separator="|")),
    ("join-unicode", lambda m: m.strings.join([const(m, [UNICODE, "a"]), const(m, ["✓", ""])], separator="—")),
    ("join-0d", lambda m: m.string_join(["a", "b"])),
    ("join-empty", lambda m: m.string_join([const(m, EMPTY), "z"], separator=",")),
    ("join-mismatch", lambda m: m.string_join([const(m, ["a", "b"]), const(m, ["a", "b", "c"])])),
    ("reduce_join-all", lambda m: m.reduce_join(const(m, GRID))),
    ("reduce_join-axis0", lambda m: m.reduce_join(const(m, GRID), axis=0, separator=",")),
    ("reduce_join-axis-1-keep", lambda m: m.reduce_join(const(m, GRID), axis=-1, keep_dims=True, separator=",")),
    ("reduce_join-both-axes", lambda m: m.strings.reduce_join(const(m, GRID), axis=[1, 0], separator=".")),
    ("reduce_join-empty-axis1", lambda m: m.reduce_join(const(m, EMPTY), axis=1)),
    ("reduce_join-empty-axis0", lambda m: m.reduce_join(const(m, EMPTY), axis=0, separator="-")),
    ("reduce_join-3d", lambda m: m.reduce_join(const(m, [str(i) for i in range(24)], (2, 3, 4)), axis=[0, 2],
                                                separator=" ")),
    ("reduce_join-3d-keep", lambda m: m.reduce_join(const(m, [str(i) for i in range(24)], (2, 3, 4)), axis=1,
                                                     keep_dims=True)),
    ("reduce_join-3d-reversed", lambda m: m.reduce_join(const(m, [str(i) for i in range(24)], (2, 3, 4)),
                                                         axis=[2, 0], separator=" ")),
    ("reduce_join-3d-all-named", lambda m: m.reduce_join(const(m, [str(i) for i in range(24)], (2, 3, 4)),
                                                          axis=[1, -1, 0], separator=" ")),
    ("reduce_join-duplicate-axis", lambda m: m.reduce_join(const(m, GRID), axis=[1, 1], separator=",")),
    ("reduce_join-0d", lambda m: m.reduce_join(const(m, "solo"))),
    ("reduce_join-bad-axis", lambda m: m.reduce_join(const(m, GRID), axis=2)),
    ("substr-scalar-pos", lambda m: m.substr(const(m, ["hello", "hi", "abc"]), 1, 2)),
    ("substr-vector-pos", lambda m: m.strings.substr(const(m, ["hello", "hi", "abc"]), [0, 1, 2], [5, 9, 0])),
    ("substr-negative-pos", lambda m: m.substr(const(m, ["hello", "hi"]), -2, 2)),
    ("substr-pos-at-end", lambda m: m.substr(const(m, ["hello", ""]), 0, 3)),
    ("substr-0d", lambda m: m.substr(const(m, "hello"), 4, 10)),
    ("substr-empty", lambda m: m.substr(const(m, EMPTY), 0, 1)),
    ("substr-grid", lambda m: m.substr(const(m, GRID), 0, 1)),
    ("substr-utf8", lambda m: m.strings.substr(const(m, [UNICODE]), 1, 4, unit="UTF8_CHAR")),
    ("substr-bytes-of-utf8", lambda m: m.substr(const(m, [UNICODE]), 1, 2)),
    ("substr-out-of-range", lambda m: m.substr(const(m, ["hello", "hi"]), 3, 1)),
    ("substr-negative-out-of-range", lambda m: m.substr(const(m, ["hi"]), -3, 1)),
    ("substr-utf8-invalid", lambda m: m.substr(const(m, [b"a\xffb"]), 0, 1, unit="UTF8_CHAR")),
    ("substr-utf8-negative-pos", lambda m: m.substr(const(m, [UNICODE]), -3, 2, unit="UTF8_CHAR")),
    ("substr-utf8-out-of-range", lambda m: m.substr(const(m, ["é"]), 2, 1, unit="UTF8_CHAR")),
    ("substr-grid-row-pos", lambda m: m.substr(const(m, GRID), [0, 1, 0], 2)),
    ("substr-grid-row-pos-len", lambda m: m.substr(const(m, GRID), [0, 1, 0], [2, 2, 1])),
    ("substr-pos-len-input-mismatch", lambda m: m.substr(const(m, ["ab", "cd"]), [0, 1, 0], [1, 1, 1])),
    ("substr-pos-shape-mismatch", lambda m: m.substr(const(m, ["ab", "cd"]), [0, 1, 0], 1)),
    ("substr-negative-len", lambda m: m.substr(const(m, ["hello"]), 1, -1)),
    ("length-bytes", lambda m: m.strings.length(const(m, [UNICODE, "", "abc"]))),
    ("length-utf8", lambda m: m.strings.length(const(m, [UNICODE, "", "abc"]), unit="UTF8_CHAR")),
    ("length-grid", lambda m: m.strings.length(const(m, GRID))),
    ("length-0d", lambda m: m.strings.length(const(m, "four"))),
    ("length-empty", lambda m: m.strings.length(const(m, EMPTY))),
    ("length-invalid-utf8", lambda m: m.strings.length(const(m, [b"a\xff\xc3"]), unit="UTF8_CHAR")),
    ("lower", lambda m: m.strings.lower(const(m, ["HeLLo", "ÉCOLE", "", "ABC123"]))),
    ("upper", lambda m: m.strings.upper(const(m, GRID))),
    ("lower-utf8", lambda m: m.strings.lower(const(m, ["ÉCOLE Ǆ"]), encoding="utf-8")),
    ("upper-utf8", lambda m: m.strings.upper(const(m, ["école straße"]), encoding="utf-8")),
    ("upper-0d", lambda m: m.strings.upper(const(m, "up"))),
    ("lower-empty", lambda m: m.strings.lower(const(m, EMPTY))),
    ("strip", lambda m: m.strings.strip(const(m, ["  a b \t\n", "", "\x0bx\x0c", " é "]))),
    ("string_strip-0d", lambda m: m.string_strip(const(m, " z "))),
    ("strip-empty", lambda m: m.strings.strip(const(m, EMPTY))),
    ("regex_replace-global", lambda m: m.regex_replace(const(m, ["aaa", "bab", ""]), "a", "x")),
    ("regex_replace-first", lambda m: m.strings.regex_replace(const(m, ["aaa", "bab"]), "a", "x",
                                                               replace_global=False)),
    ("regex_replace-groups", lambda m: m.regex_replace(const(m, ["john smith", "a b"]), r"(\w+) (\w+)",
                                                       r"\2, \1 (\0)")),
    ("regex_replace-backslash", lambda m: m.regex_replace(const(m, ["a.b"]), r"\.", r"\\")),
    ("regex_replace-unicode", lambda m: m.regex_replace(const(m, [UNICODE]), "[éö]", "_")),
    ("regex_replace-dot-is-a-character", lambda m: m.regex_replace(const(m, ["é"]), "^.$", "one")),
    ("regex_replace-empty-match", lambda m: m.regex_replace(const(m, ["abc"]), "x*", "-")),
    ("regex_replace-grid", lambda m: m.regex_replace(const(m, GRID), "^$", "EMPTY")),
    ("regex_replace-0d", lambda m: m.regex_replace(const(m, "a1b22"), "[0-9]+", "#")),
    ("regex_replace-empty", lambda m: m.regex_replace(const(m, EMPTY), "a", "b")),
    ("regex_replace-lookahead", lambda m: m.regex_replace(const(m, ["a"]), "a(?=b)", "x")),
    ("regex_replace-lookbehind", lambda m: m.regex_replace(const(m, ["a"]), "(?<!b)a", "x")),
    ("regex_replace-backreference", lambda m: m.regex_replace(const(m, ["aa"]), r"(a)\1", "x")),
    ("regex_replace-atomic", lambda m: m.regex_replace(const(m, ["a"]), "(?>a)", "x")),
    ("regex_replace-possessive", lambda m: m.regex_replace(const(m, ["aa"]), "a*+", "x")),
    ("regex_replace-class-of-quantifiers", lambda m: m.regex_replace(const(m, ["a*+?b"]), r"[*+?]+|\++", "_")),
    ("regex_replace-named-group", lambda m: m.regex_replace(const(m, ["ab"]), "(?P<x>a)b", r"\1\1")),
    ("regex_replace-escaped-digit-in-class", lambda m: m.regex_replace(const(m, ["a1"]), r"[\d]", "#")),
    ("regex_replace-unbalanced", lambda m: m.regex_replace(const(m, ["a"]), "(a", "x")),
    ("regex_replace-bad-rewrite", lambda m: m.regex_replace(const(m, ["a"]), "a", r"\2")),
    ("regex_replace-unknown-rewrite-escape", lambda m: m.regex_replace(const(m, ["a"]), "a", r"\q")),
    ("regex_replace-unknown-rewrite-escape-first", lambda m: m.regex_replace(const(m, ["ab"]), "a", r"x\q",
                                                                              replace_global=False)),
    ("regex_replace-rewrite-group-0", lambda m: m.regex_replace(const(m, ["ab"]), "b", r"<\0>")),
    ("regex_full_match", lambda m: m.strings.regex_full_match(const(m, ["ab12", "ab", "xab12", UNICODE]),
                                                              r"[a-z]+\d*")),
    ("regex_full_match-unicode", lambda m: m.strings.regex_full_match(const(m, [UNICODE]), r"h.llo w.rld .")),
    ("regex_full_match-grid", lambda m: m.strings.regex_full_match(const(m, GRID), r"\w*")),
    ("regex_full_match-0d", lambda m: m.strings.regex_full_match(const(m, "abc"), "a.c")),
    ("regex_full_match-empty", lambda m: m.strings.regex_full_match(const(m, EMPTY), "a")),
    ("regex_full_match-case-insensitive", lambda m: m.strings.regex_full_match(const(m, ["ABC", "Abd"]), "(?i)abc")),
    ("regex_full_match-posix-class", lambda m: m.strings.regex_full_match(const(m, ["ab"]), "[[:alpha:]]+")),
    ("regex_replace-posix-classes", lambda m: m.regex_replace(const(m, ["ab1 C2_d\té"]), "[[:digit:][:upper:]]", "#")),
    ("regex_replace-negated-posix", lambda m: m.regex_replace(const(m, ["a b\tc"]), "[^[:space:]]+", "w")),
    ("regex_replace-posix-punct", lambda m: m.regex_replace(const(m, ["a.b,c[d]"]), "[[:punct:]]", "")),
    ("regex_full_match-any-byte", lambda m: m.strings.regex_full_match(const(m, ["ab"]), r"\C+")),
    ("regex_full_match-unicode-class", lambda m: m.strings.regex_full_match(const(m, ["é1"]), r"\pL\d")),
    ("regex_full_match-bad", lambda m: m.strings.regex_full_match(const(m, ["a"]), "a**")),
    ("string_split-default", lambda m: m.string_split(const(m, ["a b  c", "d", "", " e "]))),
    ("string_split-keep-empty", lambda m: m.string_split(const(m, ["a b  c", "d"]), skip_empty=False)),
    ("string_split-any-char", lambda m: m.string_split(const(m, ["a,b;c", ";;x"]), sep=",;")),
    ("string_split-delimiter-arg", lambda m: m.string_split(const(m, ["1-2-3"]), delimiter="-")),
    ("string_split-every-byte", lambda m: m.string_split(const(m, ["abc", "d"]), sep="")),
    ("string_split-keep-empty-of-empty", lambda m: m.string_split(const(m, ["", "a"]), skip_empty=False)),
    ("string_split-unicode", lambda m: m.string_split(const(m, [UNICODE]))),
    ("string_split-empty", lambda m: m.string_split(const(m, strings([], (0,))))),
    ("split-sep", lambda m: m.strings.split(const(m, ["a<>b<><>c", "", "<>"]), sep="<>")),
    ("split-whitespace", lambda m: m.strings.split(const(m, [" a\tb \n c ", "", "   "]))),
    ("split-maxsplit", lambda m: m.strings.split(const(m, ["a b c d", "e f"]), sep=" ", maxsplit=1)),
    ("split-whitespace-maxsplit", lambda m: m.strings.split(const(m, ["  a  b c "]), maxsplit=1)),
    ("split-whitespace-kinds", lambda m: m.strings.split(const(m, ["a\x0bb\x0cc\rd"]))),
    ("split-unicode", lambda m: m.strings.split(const(m, [UNICODE]), sep="ö")),
    ("split-empty", lambda m: m.strings.split(const(m, strings([], (0,))), sep=",")),
    ("hash_bucket", lambda m: m.string_to_hash_bucket_fast(const(m, ["", "a", "hello", UNICODE, "x" * 17, "y" * 40,
                                                                    "z" * 65, "0123456789" * 30]), 1000)),
    ("hash_bucket-large", lambda m: m.strings.to_hash_bucket_fast(const(m, GRID), 2 ** 62)),
    ("hash_bucket-one", lambda m: m.strings.to_hash_bucket_fast(const(m, ["a", "b"]), 1)),
    ("hash_bucket-0d", lambda m: m.string_to_hash_bucket_fast(const(m, "solo"), 7)),
    ("hash_bucket-empty", lambda m: m.string_to_hash_bucket_fast(const(m, EMPTY), 7)),
    ("hash_bucket-zero", lambda m: m.string_to_hash_bucket_fast(const(m, ["a"]), 0)),
    ("format", lambda m: m.strings.format("x={} y={}!", [m.range(10), const(m, "s")])),
    ("format-summarize", lambda m: m.strings.format("{}", m.reshape(m.range(24.0), [2, 3, 4]), summarize=1)),
    ("format-all", lambda m: m.strings.format("<{}>", [m.constant([[True, False]])], summarize=-1)),
    ("format-placeholder", lambda m: m.strings.format("a %s b", [m.constant(1.5)], placeholder="%s")),
    ("format-no-inputs", lambda m: m.strings.format("plain", [])),
    ("format-strings", lambda m: m.strings.format("{}", [const(m, GRID)])),
    ("format-mismatch", lambda m: m.strings.format("{} {}", [m.constant(1)])),
    ("encode_base64", lambda m: m.encode_base64(const(m, ["", "a", "ab", "abc", "hello?>", UNICODE]))),
    ("encode_base64-pad", lambda m: m.io.encode_base64(const(m, ["", "a", "ab", "abc", "\xff\xfe?"]), pad=True)),
    ("encode_base64-grid", lambda m: m.encode_base64(const(m, GRID))),
    ("encode_base64-0d", lambda m: m.encode_base64(const(m, "zz"))),
    ("encode_base64-empty", lambda m: m.encode_base64(const(m, EMPTY))),
    ("decode_base64", lambda m: m.decode_base64(const(m, ["", "YQ", "YWI=", "YWJj", "aGVsbG8_Pg==", "w7_Dvj8"]))),
    ("decode_base64-0d", lambda m: m.io.decode_base64(const(m, "enp6"))),
    ("decode_base64-empty", lambda m: m.decode_base64(const(m, EMPTY))),
    ("decode_base64-inner-padding", lambda m: m.decode_base64(const(m, ["YQ==YQ"]))),
    ("decode_base64-whitespace", lambda m: m.decode_base64(const(m, ["YW Jj"]))),
    ("decode_base64-length", lambda m: m.decode_base64(const(m, ["YWJjZ"]))),
    ("decode_base64-bad-char", lambda m: m.decode_base64(const(m, ["YW*j"]))),
    ("decode_base64-standard-alphabet", lambda m: m.decode_base64(const(m, ["aGVsbG8/Pg=="]))),
]

# Fingerprint64 has a branch per length range (0, 1-3, 4-7, 8-16, 17-32, 33-64, 64-byte blocks and a last block)
FINGERPRINT_LENGTHS = [*range(0, 140), 191, 192, 193, 255, 256, 257, 1000, 4097]


def fingerprint_input(length):
    """A deterministic byte string of ``length`` bytes, every byte value appearing."""
    return bytes((i * 151 + length * 7) % 256 for i in range(length))

