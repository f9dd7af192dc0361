"""Accuracy tasks: what a :class:`numsim.Datapath` does to a tensor, a GEMM, an attention head
and a small trained classifier.

A task is ``task(datapath, *, seed, **params) -> dict[str, float]`` (``seed`` only where it draws
random inputs); the keys are the final
DataFrame columns, with their units. A sweep engine calls each task once per design point,
possibly in worker processes, so every task is deterministic given ``(datapath, params, seed)``
and works on whole arrays. :data:`TASKS` lists them by name.

Scaling convention (hardware practice)
--------------------------------------
Integer, fixed-point and narrow float tensors (FP8, FP6, FP4: float formats of fewer than 16
bits) carry a software scale: every operand tensor ``x`` is multiplied by ``s = fmt.max / amax``
before it is quantized, so that its largest finite magnitude ``amax`` maps to the format's largest
finite value (``s = 1`` for an all-zero tensor):

* ``scaling="tensor"`` (default): one ``amax`` per tensor;
* ``scaling="channel"``: one per row of A and one per column of B, i.e. along the reduction axis
  K (per token of the activations, per output channel of the weights); a 1-D tensor is one row;
* ``scaling="none"``: the raw values are quantized (``s = 1``).

Floats of 16 bits or more (fp16, bf16, fp32) are used unscaled, as they are in practice: scaling
them to their maximum would only make products overflow. The datapath computes on the scaled,
quantized operands (``numsim.matmul(..., quantize_inputs=True)``) and the result is divided by
``s_A s_B`` afterwards in float64: dequantization after accumulation, as hardware does. A quantized
tensor on its own is ``quantize(s x) / s``.

Block formats (:class:`numsim.BlockFormat`: MX, NVFP4, BFP) carry their own scales, so they get no
extra scaling: their 1-D blocks run along K, i.e. along the rows of A (the last axis) and down
the columns of B (its first axis), which is how :func:`numsim.matmul` blocks them; a tensor
quantized on its own is blocked along its last axis. K must be a multiple of the block size
(numsim raises otherwise).

Scaled to the format's maximum, products reach ``fmt.max^2``: FP8 or int8 products summed in an
fp16 accumulator overflow (448^2 > 65504), as they would in hardware with that scale. Nothing is
masked: outputs that overflow to inf or NaN give NaN or -inf metrics. numsim maps a NaN input of a
format without NaN (int, fp4, fp6) to 0 and saturates an infinite one, so an output element whose
row of A or column of B holds a non-finite value is set to NaN here.

Inputs
------
Distributions (i.i.d. unless stated): ``"gaussian"`` N(0, 1), ``"laplace"`` (scale 1),
``"student_t"`` (3 degrees of freedom) and ``"channel_outliers"``: Gaussian tokens x channels
where 1 % of the channels (rounded, at least one, picked at random for each tensor) are multiplied
by 100. GEMM operands are drawn as tokens x channels with the channels along K (B is drawn as
N x K and transposed), attention's Q, K and V as seq_len x head_dim, so with block formats an
outlier channel of an operand blocked along its channels shares its blocks with normal channels.
The float64 inputs and
references are cached per process (:func:`tensor_samples`, :func:`gemm_reference`,
:func:`attention_reference`) and read-only.

>>> dp = numsim.Datapath("int8", accumulator=numsim.FixedAccumulator(32, 0))
>>> sorted(TASKS)
['attention_error', 'digits_mlp', 'gemm_error', 'tensor_sqnr']
>>> round(gemm_error(dp, seed=0, M=8, N=8, K=64)["gemm_sqnr_db"], 1)
38.2
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

import numsim
from numsim.metrics import sqnr_db

from . import _checks

SCALINGS = ("tensor", "channel", "none")
OUTLIER_FRACTION = 0.01  # channels of "channel_outliers" that are outliers
OUTLIER_GAIN = 100.0  # and their magnitude relative to the others
CHANNELS = 256  # channels of tensor_sqnr's "channel_outliers" sample matrix
_CACHE = 32  # entries of each input cache


def _outlier_channels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    x = rng.standard_normal(shape)
    channels = shape[-1]
    outliers = rng.choice(channels, size=max(1, round(OUTLIER_FRACTION * channels)), replace=False)
    x[..., outliers] *= OUTLIER_GAIN
    return x


_SAMPLERS = {
    "gaussian": lambda rng, shape: rng.standard_normal(shape),
    "laplace": lambda rng, shape: rng.laplace(size=shape),
    "student_t": lambda rng, shape: rng.standard_t(3, size=shape),
    "channel_outliers": _outlier_channels,
}
DISTRIBUTIONS = tuple(_SAMPLERS)


# ---- helpers -------------------------------------------------------------------------------------


def _rng(seed) -> np.random.Generator:
    """A generator seeded with ``seed``, an int >= 0 (``None`` would draw fresh entropy and break
    determinism)."""
    return np.random.default_rng(_checks.count("seed", seed, minimum=0))


def _draw(rng: np.random.Generator, distribution: str, shape: tuple[int, ...]) -> np.ndarray:
    """Samples of ``distribution``, channels along the last axis."""
    return _SAMPLERS[_checks.choice("distribution", distribution, DISTRIBUTIONS)](rng, shape)


def _one_blas_thread():
    """A context in which BLAS runs on one thread: float64 products whose rounding does not
    depend on the thread settings of the process (joblib/loky workers limit them)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.flags.writeable = False
    return arrays


# ---- scale, quantize or multiply, unscale -------------------------------------------------------


UNSCALED_FLOAT_BITS = 16  # float formats this wide or wider are used without a software scale


def carries_scale(fmt) -> bool:
    """Whether ``auto`` scaling scales ``fmt``: integers, fixed point and floats under 16 bits do;
    block formats (their own scales) and wider floats do not.

    >>> carries_scale(numsim.get_format("e4m3")), carries_scale(numsim.get_format("bf16")), carries_scale(numsim.get_format("mxfp4"))
    (True, False, False)
    """
    if isinstance(fmt, numsim.BlockFormat):
        return False
    return not isinstance(fmt, numsim.FloatFormat) or fmt.bits < UNSCALED_FLOAT_BITS


def _scale(x: np.ndarray, fmt, scaling: str, k_axis: int) -> np.ndarray | float:
    """``s`` with ``amax(s x) = fmt.max`` per tensor or per slice along ``k_axis``; 1 for block
    formats, floats of 16 bits or more and ``scaling="none"``."""
    if scaling == "none" or not carries_scale(fmt):
        return 1.0
    axis = None if scaling == "tensor" else k_axis
    amax = np.max(np.abs(x), axis=axis, keepdims=True, where=np.isfinite(x), initial=0.0)
    return fmt.max / np.where(amax > 0, amax, fmt.max)


def _dequantized(x: np.ndarray, fmt, scaling: str) -> np.ndarray:
    """``x`` scaled, quantized into ``fmt`` (blocks along the last axis) and unscaled."""
    s = _scale(x, fmt, scaling, -1)
    return numsim.quantize(x * s, fmt, axis=-1 if isinstance(fmt, numsim.BlockFormat) else None) / s


def _dequantized_matmul(A: np.ndarray, B: np.ndarray, datapath: numsim.Datapath, scaling: str) -> np.ndarray:
    """``A @ B`` through ``datapath`` on the scaled operands, unscaled after accumulation; NaN
    where a row of A or a column of B holds a non-finite value."""
    sa = _scale(A, datapath.a_format, scaling, -1)
    sb = _scale(B, datapath.b_format, scaling, -2)
    C = numsim.matmul(A * sa, B * sb, datapath, quantize_inputs=True) / (sa * sb)
    undefined = ~np.isfinite(A).all(axis=-1, keepdims=True) | ~np.isfinite(B).all(axis=-2, keepdims=True)
    return np.where(undefined, np.nan, C)


def _softmax(S: np.ndarray) -> np.ndarray:
    E = np.exp(S - S.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


# ---- cached inputs and references -----------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE, typed=True)
def tensor_samples(distribution: str = "gaussian", n: int = 65536, seed: int = 0) -> np.ndarray:
    """The ``n`` float64 samples :func:`tensor_sqnr` quantizes (read-only, cached): shape ``(n,)``,
    or ``(n / CHANNELS, CHANNELS)`` tokens x channels for ``"channel_outliers"`` (``n`` a multiple
    of :data:`CHANNELS`).

    >>> x = tensor_samples("channel_outliers", 512, 0)
    >>> x.shape, x.flags.writeable, int((np.abs(x).max(axis=0) > 20).sum())
    ((2, 256), False, 3)
    """
    n = _checks.count("n", n)
    shape = (n,)
    if distribution == "channel_outliers":
        if n % CHANNELS:
            raise ValueError(f"n must be a multiple of {CHANNELS} (the channels) for distribution='channel_outliers', got {n}")
        shape = (n // CHANNELS, CHANNELS)
    return _read_only(_draw(_rng(seed), distribution, shape))[0]


@functools.lru_cache(maxsize=_CACHE, typed=True)
def gemm_reference(distribution: str = "gaussian", M: int = 64, N: int = 64, K: int = 256, seed: int = 0) -> tuple[np.ndarray, ...]:
    """``(A, B, A @ B)`` in float64 (read-only, cached): A is M x K, B is K x N (drawn as N x K
    and transposed, so channels run along K in both).

    >>> A, B, C = gemm_reference("gaussian", 2, 3, 4, 0)
    >>> A.shape, B.shape, C.shape, C.flags.writeable
    ((2, 4), (4, 3), (2, 3), False)
    """
    M, N, K = (_checks.count(name, v) for name, v in (("M", M), ("N", N), ("K", K)))
    rng = _rng(seed)
    A = _draw(rng, distribution, (M, K))
    B = np.ascontiguousarray(_draw(rng, distribution, (N, K)).T)
    with _one_blas_thread():
        return _read_only(A, B, A @ B)


@functools.lru_cache(maxsize=_CACHE, typed=True)
def attention_reference(distribution: str = "gaussian", seq_len: int = 128, head_dim: int = 64, seed: int = 0) -> tuple[np.ndarray, ...]:
    """``(Q, K, V, O)`` in float64 (read-only, cached): Q, K, V are seq_len x head_dim and
    ``O = softmax(Q K^T / sqrt(head_dim)) V``.

    >>> Q, K, V, O = attention_reference("gaussian", 4, 2, 0)
    >>> O.shape, bool(np.all(np.abs(O) <= np.abs(V).max(axis=0)))
    ((4, 2), True)
    """
    seq_len, head_dim = _checks.count("seq_len", seq_len), _checks.count("head_dim", head_dim)
    rng = _rng(seed)
    Q, K, V = (_draw(rng, distribution, (seq_len, head_dim)) for _ in range(3))
    with _one_blas_thread():
        return _read_only(Q, K, V, _softmax(Q @ K.T / math.sqrt(head_dim)) @ V)


# ---- tasks ---------------------------------------------------------------------------------------


def tensor_sqnr(
    datapath: numsim.Datapath, *, seed: int, distribution: str = "gaussian", n: int = 65536, scaling: str = "tensor"
) -> dict[str, float]:
    """SQNR (dB) of ``n`` samples of ``distribution`` quantized into ``datapath.a_format``.

    Scalar formats are scaled per ``scaling`` (``"channel"``: per row, i.e. per token of the
    ``"channel_outliers"`` matrix); block formats are blocked along the rows, across channels.

    >>> round(tensor_sqnr(numsim.Datapath("int8"), seed=0, n=4096)["sqnr_db"], 1)
    41.0
    """
    _checks.datapath(datapath)
    scaling = _checks.choice("scaling", scaling, SCALINGS)
    x = tensor_samples(distribution, n, seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"sqnr_db": sqnr_db(x, _dequantized(x, datapath.a_format, scaling))}


def gemm_error(
    datapath: numsim.Datapath, *, seed: int, M: int = 64, N: int = 64, K: int = 256, distribution: str = "gaussian", scaling: str = "tensor"
) -> dict[str, float]:
    """Total error (quantization and arithmetic) of an M x K by K x N GEMM through ``datapath``
    against float64 on the unquantized inputs: ``gemm_sqnr_db`` (dB) and ``gemm_max_rel_err``
    = max |C - C_ref| / max |C_ref| (dimensionless).

    >>> r = gemm_error(numsim.Datapath("e4m3"), seed=0, M=8, N=8, K=64)
    >>> round(r["gemm_sqnr_db"], 1), round(r["gemm_max_rel_err"], 4)
    (28.0, 0.0397)
    """
    _checks.datapath(datapath)
    scaling = _checks.choice("scaling", scaling, SCALINGS)
    A, B, C_ref = gemm_reference(distribution, M, N, K, seed)
    C = _dequantized_matmul(A, B, datapath, scaling)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"gemm_sqnr_db": sqnr_db(C_ref, C), "gemm_max_rel_err": float(np.max(np.abs(C - C_ref)) / np.max(np.abs(C_ref)))}


def attention_error(
    datapath: numsim.Datapath, *, seed: int, seq_len: int = 128, head_dim: int = 64, distribution: str = "gaussian", scaling: str = "tensor"
) -> dict[str, float]:
    """SQNR (dB) of one attention head ``softmax(Q K^T / sqrt(d)) V`` (Q, K, V: seq_len x d)
    whose two matmuls run through ``datapath``, against the all-float64 result. The 1/sqrt(d)
    joins the dequantization of Q K^T, the softmax runs in float64, and its output P is
    quantized like any operand.

    >>> round(attention_error(numsim.Datapath("e4m3"), seed=0, seq_len=32, head_dim=16)["attention_sqnr_db"], 1)
    27.4
    """
    _checks.datapath(datapath)
    scaling = _checks.choice("scaling", scaling, SCALINGS)
    Q, K, V, O_ref = attention_reference(distribution, seq_len, head_dim, seed)
    S = _dequantized_matmul(Q, K.T, datapath, scaling) / math.sqrt(head_dim)
    with np.errstate(divide="ignore", invalid="ignore"):
        O = _dequantized_matmul(_softmax(S), V, datapath, scaling)
        return {"attention_sqnr_db": sqnr_db(O_ref, O)}


# ---- digits MLP ----------------------------------------------------------------------------------

DIGITS_TEST = 500  # test images of the fixed split
_TRAIN_SEED = 0  # fixes the split and the initial weights: one model for every design point
_TRAIN_STEPS = 300
_LEARNING_RATE = 0.01


class _Mlp(NamedTuple):
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    float_correct: int


def _correct(logits: np.ndarray, labels: np.ndarray) -> int:
    """Rows whose argmax is the label; a row with a non-finite logit is wrong."""
    return int(np.sum((np.argmax(logits, axis=1) == labels) & np.isfinite(logits).all(axis=1)))


def _percent(images: int) -> float:
    return 100.0 * images / DIGITS_TEST


def _adam(params: list[np.ndarray], grads, steps: int, lr: float, beta1: float = 0.9, beta2: float = 0.999) -> None:
    """``steps`` full-batch Adam steps on ``params`` in place; ``grads(params)`` returns the gradients."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        for p, g, mi, vi in zip(params, grads(params), m, v):
            mi += (1 - beta1) * (g - mi)
            vi += (1 - beta2) * (g * g - vi)
            p -= lr * (mi / (1 - beta1**t)) / (np.sqrt(vi / (1 - beta2**t)) + 1e-8)


@functools.lru_cache(maxsize=4)
def _digits_model(hidden: int) -> _Mlp:
    """A 64-hidden-10 ReLU MLP trained once per process on scikit-learn's digits: a fixed
    permutation (seed 0) of the 1,797 images, the first 1,297 for training and the last 500 for
    testing (the unshuffled split tests on other writers and reaches only about 93 %), pixels
    standardised with the training statistics, cross-entropy, 300 full-batch Adam steps in
    float64 from He-initialised weights (BLAS on one thread: bit-identical in every worker)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(_TRAIN_SEED)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    X_train, y_train, X_test, y_test = X[:-DIGITS_TEST], y[:-DIGITS_TEST], X[-DIGITS_TEST:], y[-DIGITS_TEST:]
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0
    X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
    params = [
        rng.standard_normal((64, hidden)) * math.sqrt(2 / 64), np.zeros(hidden),
        rng.standard_normal((hidden, 10)) * math.sqrt(2 / hidden), np.zeros(10),
    ]
    targets = np.eye(10)[y_train]

    def grads(p):
        W1, b1, W2, b2 = p
        z = X_train @ W1 + b1
        h = np.maximum(z, 0)
        g = (_softmax(h @ W2 + b2) - targets) / len(y_train)  # d(mean cross-entropy)/d logits
        gh = (g @ W2.T) * (z > 0)
        return X_train.T @ gh, gh.sum(axis=0), h.T @ g, g.sum(axis=0)

    with _one_blas_thread():
        _adam(params, grads, _TRAIN_STEPS, _LEARNING_RATE)
        W1, b1, W2, b2 = _read_only(*params)
        f32 = [a.astype(np.float32) for a in (X_test, W1, b1, W2, b2)]  # the model's float32 self
        logits32 = np.maximum(f32[0] @ f32[1] + f32[2], 0) @ f32[3] + f32[4]
    return _Mlp(W1, b1, W2, b2, *_read_only(X_test, y_test), _correct(logits32, y_test))


def digits_mlp(datapath: numsim.Datapath, *, hidden: int = 32, scaling: str = "tensor") -> dict[str, float]:
    """Test accuracy (%) of a trained 64-hidden-10 MLP on scikit-learn's digits (500 test images)
    with both layers' matmuls (x W1, h W2) through ``datapath``; weights and activations are
    scaled and quantized per ``scaling``, biases added in float64 after dequantization.
    ``digits_accuracy_drop_pct`` is the accuracy of the same model run in float32 (its float32
    self: weights, activations and arithmetic in float32) minus it (percentage points).

    The model is trained once per process with a fixed seed, so every design point sees the same
    weights and test images: the task draws nothing at random and takes no seed.

    >>> r = digits_mlp(numsim.Datapath("bf16"), scaling="none")
    >>> r["digits_accuracy_pct"], r["digits_accuracy_drop_pct"]
    (97.6, 0.0)
    """
    _checks.datapath(datapath)
    scaling = _checks.choice("scaling", scaling, SCALINGS)
    model = _digits_model(_checks.count("hidden", hidden))
    h = np.maximum(_dequantized_matmul(model.X_test, model.W1, datapath, scaling) + model.b1, 0)
    logits = _dequantized_matmul(h, model.W2, datapath, scaling) + model.b2
    correct = _correct(logits, model.y_test)
    return {"digits_accuracy_pct": _percent(correct), "digits_accuracy_drop_pct": _percent(model.float_correct - correct)}


#: Checks of the parameters that take a name, run by :class:`experiments.SweepSpec` before a sweep starts.
VALUE_CHECKS = {
    "distribution": lambda value: _checks.choice("distribution", value, DISTRIBUTIONS),
    "scaling": lambda value: _checks.choice("scaling", value, SCALINGS),
}

TASKS = {
    "tensor_sqnr": tensor_sqnr,
    "gemm_error": gemm_error,
    "attention_error": attention_error,
    "digits_mlp": digits_mlp,
}
"""Every task by name."""
