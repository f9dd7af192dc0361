"""Vectorised rounding of binary32 / binary64 inputs into a float format, in every rounding mode.

One branch-free loop per block of :data:`BLOCK` elements computes, for every element, the result
of the general rule (:func:`~numsim._kernels.codec.encode_float_element`) from integer arithmetic
on binary64 bits, so that LLVM vectorises it whatever the inputs hold: NaN, infinities, overflow,
zeros and subnormals are chosen by selects inside the loop, never revisited. The exactness
argument (``tests/test_fast_paths.py`` checks each step against the general kernel):

* **Widening.** A binary32 input is widened to binary64, exact for every finite value (binary32
  subnormals become binary64 normals). The general rule depends only on the exact value ``v =
  sig * 2^(max(e, 1) - 1075)`` (``sig`` the significand, with the hidden bit unless the biased
  exponent ``e`` is 0), never on how it is written. A NaN keeps its payload in the top mantissa
  bits (the widening sets the top one, which the general rule sets too: the quiet bit).
* **Quantum.** The general rule rounds at ``2^q`` with ``q = L - M`` for ``L = floor(log2 v) >=
  emin`` and ``q = emin - M`` below (``q = emin`` without subnormals). With ``E_min = emin +
  1023``, ``L >= emin`` iff ``e >= E_min``; binary64 subnormal inputs lie below every normal
  result because :func:`numsim._lower.codec.fast_spec` requires ``E_min >= 1``. The number of
  dropped bits is ``S = 52 - M`` (normal results) or ``S = 52 - M + E_min - max(e, 1)`` (``+ M``
  without subnormals).
* **Truncated code.** For normal results the truncated code is ``(a >> S) - offset``, ``a`` the
  magnitude bits and ``offset = (1023 - bias) << M`` (whose low M bits are 0): the exponent field
  moves along with the kept mantissa bits, and a carry from rounding up moves into the exponent
  by itself. Below the normals it is ``sig >> S``, the subnormal code (0 without subnormals,
  whose one step up is the smallest normal code).
* **Dropped bits.** ``S`` exceeds 62 only below the normals, where ``sig < 2^53``: clamping it
  to ``Sc = min(S, 62)`` keeps ``sig >> Sc = 0``, ``rem = sig`` and ``half = 2^(Sc-1) > rem``,
  what the general rule finds for any larger shift. Each deterministic mode's decision reads only
  ``rem``, ``half``, ``rem != 0``, the code's parity and the sign (:func:`_deterministic_up`).
  Stochastic modes compute the exact ``floor(nu 2^k)`` (``nu = rem / 2^S`` with ``S``
  unclamped: a right shift by ``min(S - k, 63)`` of a value below 2^53, or a left shift when
  ``S < k``) and compare it plus the random integer with ``2^k``, as the general rule does.
* **After rounding**, the general rule's checks (flush-to-zero and zeros, negative inputs of
  unsigned formats, overflow by the policy and the mode's direction, Inf and NaN inputs, formats
  without zero) are computed for every element and applied in its order by selects on
  arithmetic 0/-1 masks (:func:`_pick`), which leave LLVM's mask registers free. Their results
  are constants of the :class:`Results`, taken from the general rule itself.

Values (``quantize``) take the same path with :class:`Results` holding the binary64 bits of the
special codes' values (from :func:`~numsim._kernels.codec.decode_float_element`); a finite code
is decoded as that function does: normal codes by placing their bits in a binary64 pattern,
subnormal codes as ``code * 2^(emin - M)``.

Stochastic rounding draws element ``i``'s bits with :func:`~numsim._kernels.rounding.random_bits`
(the same keyed SplitMix64 stream, or the explicit bits), a block at a time into a buffer, so the
results do not depend on the chunking or the number of threads.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._config import JIT_CACHE
from .nearest_fast import all_inside, codes_inside, values_inside
from .rounding import STOCHASTIC_A, STOCHASTIC_B, STOCHASTIC_C, random_bits

BLOCK = 1 << 14
NO_BITS = np.empty(0, np.uint64)  # no explicit random bits
_MAN_MASK = np.int64((1 << 52) - 1)
QUIET_NAN = 0x7FF8000000000000  # binary64 canonical quiet NaN's bits


class Results(NamedTuple):
    """What the special cases give, as codes or as binary64 value bits (``values``)."""

    over_pos: int  # rounded values beyond the largest finite one (by policy and mode)
    over_neg: int  # unsigned formats: what negative inputs give
    zero_pos: int
    zero_neg: int
    inf_pos: int  # infinite inputs
    inf_neg: int
    nan_pos: int  # NaN inputs: nan_pos/neg | ((magnitude bits >> nan_shift) & nan_mask)
    nan_neg: int
    nan_shift: int
    nan_mask: int
    invalid: int  # marks a result that needs a NaN the format lacks (-1 for codes, a signalling NaN for values)
    instead: int  # what such a result becomes: code 0, or its value


class FastSpec(NamedTuple):
    """Parameters of the vectorised rounding into one float format (built by
    :func:`numsim._lower.codec.fast_spec`): ints, masks of 0/-1 and one float."""

    # rounding
    shift: int  # 52 - M: dropped bits of normal results
    emin_field: int  # emin + 1023: the smallest biased exponent of a normal result
    below_shift: int  # dropped bits below the normals: below_shift - max(e, 1)
    offset: int  # (1023 - bias) << M: subtracted from the kept bits of normal results
    below_step: int  # code of one quantum below the normals: 1, or the smallest normal code
    mode: int
    nbits: int  # random bits of stochastic modes
    add_half: int  # the deterministic modes' increment (_deterministic_up)
    add_const: int
    add_odd: int
    fill_positive: int
    fill_negative: int
    fill_even: int
    # checks on the rounded magnitude code
    max_mag: int
    sign_bit: int
    unsigned_big: int  # 2^62 for unsigned formats (negative inputs count as beyond the largest), else 0
    zero_test_code: int  # a zero result: (code & zero_test_code) | (input & zero_test_input) < zero_limit
    zero_test_input: int
    zero_limit: int  # 1, or the smallest normal code under flush-to-zero; formats without zero test the input
    # values of finite codes
    bias64: int  # (1023 - bias) << 52: a normal code << (52 - M) plus this is its binary64 pattern
    subnormal_limit: int  # codes below it are subnormal, worth code * sub_quantum
    sub_quantum: float
    values: int  # -1: results are the binary64 bits of values; 0: codes




def widened(x):
    """The binary64 bits (int64) of an input element's value (``uint32``/``uint64`` bit patterns)."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(widened, jit_options={"cache": JIT_CACHE})
def _widened_impl(x):
    if x == types.uint32:
        return lambda x: np.float64(np.int32(x).view(np.float32)).view(np.int64)
    if x == types.uint64:
        return lambda x: np.int64(x)
    return None


@njit(cache=JIT_CACHE, inline="always")
def _scaled_residual(rem, S, k):
    """``floor(rem 2^k / 2^S)``, exact for ``rem < 2^min(S, 62)`` (``rem < 2^53`` when ``S > 62``)."""
    down = rem >> min(max(S - k, np.int64(0)), np.int64(63))
    return down if S >= k else rem << max(k - S, np.int64(0))


@njit(cache=JIT_CACHE, inline="always")
def _deterministic_up(rem, Sc, odd, sign, f):
    """1 if dropping the ``Sc`` bits ``rem`` rounds one quantum away from zero, else 0, for the
    code parity ``odd`` (0/1) and the sign mask ``sign`` (0/-1): ``rem + add`` carries into bit
    ``Sc``, with ``add < 2^Sc`` set by the mode (``half = 2^(Sc-1)``, ``mask = 2^Sc - 1``):
    ``half - 1 + odd`` (nearest-even), ``half`` (nearest-away), 0 (toward zero), ``mask`` when
    positive / negative / even (toward +inf / -inf / to odd). These are
    :func:`~numsim._kernels.rounding.round_away`'s conditions: e.g. ``rem + half - 1 + odd >=
    2 half`` iff ``rem > half``, or ``rem == half`` and ``odd``. Example: ``Sc = 3``, ``rem = 4``
    (a tie) rounds up under nearest-even only for an odd code."""
    mask = (np.int64(1) << Sc) - 1
    fill = (sign & f.fill_negative) | (~sign & f.fill_positive) | ((odd - 1) & f.fill_even)
    add = (((mask + 1) >> 1) & f.add_half) + f.add_const + (odd & f.add_odd) + (mask & fill)
    return (rem + add) >> Sc


@njit(cache=JIT_CACHE, inline="always")
def _stochastic_up(rem, S, r, f):
    """Whether the dropped bits ``rem`` (of ``S``) round away from zero for the random integer
    ``r``: ``floor(nu 2^k) + r >= 2^k`` (stochastic_a), ``floor(nu 2^(k+1)) + 2r + 1 >= 2^(k+1)``
    (b), the residual rounded to k bits ties-to-even (c), as
    :func:`~numsim._kernels.rounding.round_away` decides."""
    mode = f.mode
    k = f.nbits + np.int64(mode == STOCHASTIC_B)
    t = _scaled_residual(rem, S, k)
    if mode == STOCHASTIC_C:
        d = min(max(S - k, np.int64(0)), np.int64(63))
        low = rem & ((np.int64(1) << d) - 1)
        low_half = np.int64(1) << max(d - 1, np.int64(0))  # d = 0: low = 0 < low_half, nothing to round
        t += np.int64((low > low_half) | ((low == low_half) & ((t & 1) == 1)))
    return np.int64(t + (2 * r + 1 if mode == STOCHASTIC_B else r) >= (np.int64(1) << k))


@njit(cache=JIT_CACHE, inline="always")
def _pick(mask, a, b):
    """``a`` where ``mask`` is -1, ``b`` where it is 0 (arithmetic masks keep LLVM's mask registers free)."""
    return b ^ ((a ^ b) & mask)


@njit(cache=JIT_CACHE, inline="always")
def _signed(sign, pos, neg):
    """``neg`` where ``sign`` is -1, ``pos`` where it is 0."""
    return pos ^ ((pos ^ neg) & sign)


@njit(cache=JIT_CACHE, inline="always")
def _element(bits, r, f, o, stochastic):
    """``(result, invalid)``: the code (or, ``f.values``, the binary64 bits of the value) of the
    binary64 value ``bits`` by the general rule, special cases from the :class:`Results` ``o``,
    and -1 if it needed a NaN the format lacks (else 0; the result is then code 0's). ``r`` is the
    random integer when ``stochastic`` (a compile-time constant). Both results are computed and
    one picked, so one compiled loop serves codes and values."""
    sign = bits >> 63  # 0/-1
    a = bits & np.int64(0x7FFFFFFFFFFFFFFF)
    e = a >> 52
    below = (e - f.emin_field) >> 63  # -1 below the normals
    e1 = max(e, np.int64(1))
    S = _pick(below, f.below_shift - e1, np.int64(f.shift))
    x = a - (below & ((e1 - 1) << 52))  # below: the significand (hidden bit unless e = 0)
    Sc = min(S, np.int64(62))
    code_t = (x >> Sc) - (~below & f.offset)
    rem = x & ((np.int64(1) << Sc) - 1)
    up = _stochastic_up(rem, S, r, f) if stochastic else _deterministic_up(rem, Sc, code_t & 1, sign, f)
    code = code_t + (-up & _pick(below, f.below_step, np.int64(1)))

    subnormal = (code - f.subnormal_limit) >> 63
    value = _pick(subnormal, np.float64(float(code) * f.sub_quantum).view(np.int64), (code << f.shift) + f.bias64)
    value |= bits & np.int64(-0x7FFFFFFFFFFFFFFF - 1)
    result = _pick(f.values, value, code | (sign & f.sign_bit))
    # beyond the largest code, or negative in an unsigned format (over_neg is then the invalid code)
    big = (f.max_mag - code - (sign & f.unsigned_big)) >> 63
    result = _pick(big, _signed(sign, o.over_pos, o.over_neg), result)
    zero = (((code & f.zero_test_code) | (a & f.zero_test_input)) - f.zero_limit) >> 63
    result = _pick(zero, _signed(sign, o.zero_pos, o.zero_neg), result)
    special = (np.int64(0x7FE) - e) >> 63
    result = _pick(special, _signed(sign, o.inf_pos, o.inf_neg), result)
    nan = special & (-(a & _MAN_MASK) >> 63)
    result = _pick(nan, _signed(sign, o.nan_pos, o.nan_neg) | ((a >> o.nan_shift) & o.nan_mask), result)
    invalid = -np.int64(result == o.invalid)
    return _pick(invalid, o.instead, result), invalid


def store(out, i, result):
    """``out[i] =`` the result bits (uint64 ``out``), or for a float32 ``out`` the value whose
    binary64 bits are ``result``."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(store, jit_options={"cache": JIT_CACHE})
def _store_impl(out, i, result):
    if isinstance(out.dtype, types.Integer):

        def bits(out, i, result):
            out[i] = result

        return bits

    def float32_value(out, i, result):
        out[i] = np.int64(result).view(np.float64)

    return float32_value


def value_view(out):
    """``out`` as float values: uint64 as the float64 values its bits are, float32 itself."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(value_view, jit_options={"cache": JIT_CACHE})
def _value_view_impl(out):
    if isinstance(out.dtype, types.Integer):
        return lambda out: out.view(np.float64)
    return lambda out: out


def block_target(out, buf, lo, hi):
    """Where :func:`round_chunk` writes the results of ``lo:hi``: ``out`` itself (uint64 codes,
    float32 values, or the uint64 bits of float64 values) or, for narrower codes, the uint64
    scratch ``buf``, which :func:`block_store` then copies into ``out``."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(block_target, jit_options={"cache": JIT_CACHE})
def _block_target_impl(out, buf, lo, hi):
    if out.dtype == types.uint64:
        return lambda out, buf, lo, hi: out[lo:hi]
    if out.dtype == types.float64:
        return lambda out, buf, lo, hi: out[lo:hi].view(np.uint64)
    if out.dtype == types.float32:
        return lambda out, buf, lo, hi: out[lo:hi]
    return lambda out, buf, lo, hi: buf[: hi - lo]


def block_store(out, target, lo, hi):
    """``out[lo:hi]`` from the codes in ``target`` where :func:`block_target` gave the scratch."""
    raise NotImplementedError("only callable from Numba kernels")


@overload(block_store, jit_options={"cache": JIT_CACHE})
def _block_store_impl(out, target, lo, hi):
    if out.dtype in (types.uint64, types.float64, types.float32):
        return lambda out, target, lo, hi: None

    def narrower_codes(out, target, lo, hi):
        for i in range(lo, hi):
            out[i] = target[i - lo]

    return narrower_codes


@njit(cache=JIT_CACHE, inline="always")
def _round_into(src, out, f, o, key, base, explicit, stochastic):
    """Round ``src`` into ``out`` (uint64: codes or the bits of float64 values; or float32 values); returns the number of NaNs the format lacks. ``stochastic``
    (a compile-time constant): element ``i`` draws the random integer of index ``base + i``
    (:func:`~numsim._kernels.rounding.random_bits` of ``key``, or ``explicit`` when not empty)."""
    invalid = 0
    for i in range(src.size):
        r = random_bits(key, base + i, f.nbits, explicit) if stochastic else np.int64(0)
        result, bad = _element(widened(src[i]), r, f, o, stochastic)
        invalid -= bad
        store(out, i, result)
    return invalid


@njit(cache=JIT_CACHE)
def _round_deterministic(src, out, f, o):
    """:func:`_round_into` under the deterministic modes (compiled once per signature, called for
    whole blocks and for one element of a uniform block)."""
    return _round_into(src, out, f, o, np.uint64(0), 0, NO_BITS, False)


@njit(cache=JIT_CACHE)
def _round_stochastic(src, out, f, o, key, base, explicit):
    """:func:`_round_into` under the stochastic modes, elements numbered from ``base``."""
    return _round_into(src, out, f, o, key, base, explicit, True)


@njit(cache=JIT_CACHE)
def _uniform(src):
    """Whether every element of ``src`` (not empty) has the bits of the first: a look at the middle
    and the last, then a branch-free scan."""
    first = src[0]
    if src[src.size - 1] != first or src[src.size // 2] != first:
        return False
    differ = src[0] ^ first
    for i in range(src.size):
        differ |= src[i] ^ first
    return differ == 0


@njit(cache=JIT_CACHE)
def _nearest_inside(src, out, ns, values):
    """Round ``src`` by the narrower nearest-even formulas of :mod:`numsim._kernels.nearest_fast`
    (fewer operations per element) when every input lies in their range; returns whether it did.
    ``ns.lo > ns.hi`` (other modes, or no input in range) declines at once."""
    if ns.lo > ns.hi or not all_inside(src, ns):
        return False
    if values:
        values_inside(src, value_view(out), ns)
    else:
        codes_inside(src, out, ns)
    return True


@njit(nogil=True, cache=JIT_CACHE)
def round_chunk(start, stop, src, out, f, o, ns, key, explicit):
    """Codes or values (``f.values``; ``out`` of any code dtype, float64 or float32) of the inputs ``start:stop`` (``src`` holds binary32/64 bits) rounded into the format of ``f`` (special results ``o``), a block of
    :data:`BLOCK` at a time; returns the number of NaNs the format lacks (their codes are 0).
    Stochastic modes draw element ``i``'s random bits keyed by ``i`` as they round it; under the
    deterministic modes a block of equal inputs (all zeros, say) rounds one of them, and
    under nearest-even a block whose inputs all lie in the range of the nearest-even formulas
    ``ns`` (a NearestSpec) takes those. The rounding loops write uint64 for codes of every width
    and for float64 values (:func:`block_target`), so one compiled loop per input width serves
    them all; float32 values have their own.
    Runs in :func:`numsim._threads.parallel_chunks`."""
    invalid = 0
    stochastic = f.mode >= STOCHASTIC_A
    buf = np.empty(BLOCK, np.uint64)
    for lo in range(start, stop, BLOCK):
        hi = min(lo + BLOCK, stop)
        target = block_target(out, buf, lo, hi)
        if stochastic:
            invalid += _round_stochastic(src[lo:hi], target, f, o, key, lo, explicit)
        elif _uniform(src[lo:hi]):  # one result, copied (deterministic: a function of the input)
            invalid += _round_deterministic(src[lo : lo + 1], target[:1], f, o) * (hi - lo)
            for i in range(1, hi - lo):  # an element loop, not a slice copy: no shape checks to compile
                target[i] = target[0]
        elif not _nearest_inside(src[lo:hi], target, ns, f.values != 0):
            invalid += _round_deterministic(src[lo:hi], target, f, o)
        block_store(out, target, lo, hi)
    return invalid

