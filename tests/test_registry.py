"""Format names: registry, aliases, grammar and the name round trip."""

import pytest
from hypothesis import given

import numsim
from numsim import FixedFormat, FloatFormat, IntFormat, Specials
from numsim.testing import formats

ML_DTYPES_NAMES = [
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e4m3b11fnuz", "float8_e3m4",
    "float8_e4m3", "float6_e2m3fn", "float6_e3m2fn", "float4_e2m1fn", "float8_e8m0fnu", "bfloat16", "float16", "float32",
]


@pytest.mark.parametrize("name", ML_DTYPES_NAMES + ["tf32", "int4", "int8", "uint8", "binary8p3se", "binary4p2sf", "binary8p1uf"])
def test_builtin_names_resolve_and_round_trip(name):
    fmt = numsim.get_format(name)
    assert numsim.get_format(fmt.name) == fmt
    assert numsim.get_format(name.upper()) == fmt


@pytest.mark.parametrize(
    "alias, canonical",
    [("e4m3", "float8_e4m3fn"), ("e5m2", "float8_e5m2"), ("e2m1", "float4_e2m1fn"), ("e3m2", "float6_e3m2fn"),
     ("e2m3", "float6_e2m3fn"), ("fp16", "float16"), ("bf16", "bfloat16"), ("fp32", "float32"), ("e8m0", "float8_e8m0fnu"),
     ("binary8p4sf", "float8_e4m3fnuz"), ("binary8p3sf", "float8_e5m2fnuz")],
)
def test_aliases(alias, canonical):
    assert numsim.get_format(alias).name == canonical


@pytest.mark.parametrize(
    "name, expected",
    [
        ("e5m2", FloatFormat(5, 2)),
        ("e6m9", FloatFormat(6, 9)),
        ("e4m3fn", FloatFormat(4, 3, specials="fn")),
        ("e5m2fnuz", FloatFormat(5, 2, bias=16, specials="fnuz")),
        ("e4m3b11fnuz", FloatFormat(4, 3, bias=11, specials="fnuz")),
        ("e3m2fin", FloatFormat(3, 2, specials="none")),
        ("ue4m3fn", FloatFormat(4, 3, specials="fn", signed=False)),
        ("e8m0fnu", FloatFormat(8, 0, specials="fnu", signed=False, subnormals=False)),
        ("e5m2_nosub", FloatFormat(5, 2, subnormals=False)),
        ("e2m1ieee", FloatFormat(2, 1)),
        ("int7", IntFormat(7)),
        ("uint3", IntFormat(3, signed=False)),
        ("int8_sym", IntFormat(8, symmetric=True)),
        ("fixed<8,6>", FixedFormat(8, 6)),
        ("ufixed<12, -2>", FixedFormat(12, -2, signed=False)),
        ("binary6p3sf", FloatFormat(3, 2, bias=4, specials="fnuz")),
        ("binary16p11se", FloatFormat(5, 10, bias=16, specials="extended")),
    ],
)
def test_grammar(name, expected):
    assert numsim.get_format(name) == expected


def test_alias_collisions_get_an_explicit_ieee_spelling():
    ieee_e2m1 = FloatFormat(2, 1)
    assert ieee_e2m1.name == "e2m1ieee" and numsim.get_format("e2m1") != ieee_e2m1


def test_p3109_constructor_matches_definition():
    fmt = numsim.p3109_format(8, 4, signed=True, extended=True)
    assert fmt == numsim.get_format("binary8p4se") and (fmt.exp_bits, fmt.man_bits, fmt.bias, fmt.specials) == (4, 3, 8, Specials.EXTENDED)
    unsigned = numsim.p3109_format(8, 1, signed=False, extended=False)
    assert (unsigned.exp_bits, unsigned.bias) == (8, 128)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="float8_e4m3fn"):
        numsim.get_format("float8_e4m3fnn")
    with pytest.raises(ValueError, match="bfloat16"):
        numsim.get_format("bfloat61")
    with pytest.raises(ValueError, match="unknown format 'nonsense'"):
        numsim.get_format("nonsense")


def test_formats_are_accepted_where_names_are():
    fmt = FloatFormat(3, 3, specials="fnuz")
    assert numsim.get_format(fmt) is fmt
    assert numsim.quantize(1.0, fmt) == 1.0


@given(formats(families=("float", "int", "fixed"), max_bits=32))
def test_every_format_name_round_trips(fmt):
    assert numsim.get_format(fmt.name) == fmt


def test_registered_listing_has_no_duplicates():
    formats_ = list(numsim.registered_formats().values())
    assert len(formats_) == len(set(formats_))
    for alias, target in numsim.aliases().items():
        assert target in numsim.registered_formats(), alias
