"""Parallel chunks: every index is covered once, and results do not depend on the thread count."""

import numba
import numpy as np
import pytest
from numba import njit

import numsim
from numsim._threads import parallel_chunks


@njit(nogil=True)
def _mark(start, stop, seen):
    for i in range(start, stop):
        seen[i] += 1
    return stop - start


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request):
    before = numba.get_num_threads()
    numba.set_num_threads(min(request.param, numba.config.NUMBA_NUM_THREADS))
    yield request.param
    numba.set_num_threads(before)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, 1000])
@pytest.mark.parametrize("min_chunk", [1, 3, 4096])
def test_chunks_cover_the_range_once(n, min_chunk, threads):
    seen = np.zeros(n, np.int64)
    sizes = parallel_chunks(_mark, n, seen, min_chunk=min_chunk)
    assert seen.tolist() == [1] * n and sum(sizes) == n
    assert all(size >= min_chunk for size in sizes[:-1])


def _block_results(x, name):
    codes, scales, *tensor = numsim.encode(x, name, axis=-1)
    return [numsim.quantize(x, name, axis=-1), codes, scales, *tensor, numsim.decode((codes, scales, *tensor), name, axis=-1)]


@pytest.mark.parametrize("name", ["mxfp8", "nvfp4", "mxint8", "mxfp4"])
def test_block_codec_is_the_same_on_one_and_two_threads(name):
    """Tile rows split into chunks differently per thread count: 37 rows (not a multiple of the
    chunk count), a NaN, an outlier in the last tile row (the NVFP4 tensor amax) and a zero tile."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((37, 96)).astype(np.float32)
    x[5, 7], x[36, 90], x[20, :32] = np.nan, 3.0e4, 0.0
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _block_results(x, name)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _block_results(x, name)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_arithmetic_and_multipliers_are_the_same_on_one_and_two_threads():
    """Arrays of several chunks (100,003 elements) with stochastic rounding (keyed per element), an
    approximate multiplier and a lookup-table product."""
    rng = np.random.default_rng(4)
    a, b = (numsim.quantize(rng.standard_normal(100_003), "e4m3") for _ in range(2))
    jobs = [
        lambda: numsim.add(a, b, "e2m1", "stochastic_a", seed=7, a_format="e4m3", b_format="e4m3"),
        lambda: numsim.fma(a, b, a, "bf16", a_format="e4m3", b_format="e4m3", c_format="e4m3"),
        lambda: numsim.mul(a, b, "float32", multiplier="lmul(3)", a_format="e4m3", b_format="e4m3"),
        lambda: numsim.mul(a, b, "float32", multiplier="mitchell", a_format="e4m3", b_format="e4m3"),
    ]
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = [job() for job in jobs]
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = [job() for job in jobs]
    finally:
        numba.set_num_threads(before)
    for x, y in zip(one, two):
        assert x.tobytes() == y.tobytes()
