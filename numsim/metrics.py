"""Error metrics of an approximate result against the exact one.

Every function takes ``(exact, approx)``: arrays of the same shape (anything ``numpy.asarray``
takes), compared in float64. Quantization and datapath metrics: :func:`sqnr_db`, :func:`mse`,
:func:`bias`, :func:`mean_relative_error`, :func:`max_relative_error`, :func:`ulp_error`.
The approximate-arithmetic metrics follow the usual definitions (Liang, Han and Lombardi, IEEE
Trans. Computers 62(9), 2013; EvoApproxLib names in brackets): error distance ED = |M' - M|,
:func:`error_rate` ER = P(M' != M) [EP], :func:`med` = E[ED] [MAE], :func:`nmed` = MED / M_max,
:func:`wce` = max ED, :func:`mred` = E[ED / |M|] over M != 0 [MRE], :func:`wcre` = max of that,
and :func:`ned` = E[ED / max ED]. :func:`summary` returns all of them at once.

>>> exact, approx = [1.0, 2.0, 4.0], [1.0, 2.5, 3.0]
>>> float(med(exact, approx)), float(mred(exact, approx)), float(error_rate(exact, approx))
(0.5, 0.16666666666666666, 0.6666666666666666)
"""

from __future__ import annotations

import numpy as np

from .formats import FloatFormat, Format
from .registry import get_format


def _pair(exact, approx) -> tuple[np.ndarray, np.ndarray]:
    m, m_approx = np.asarray(exact, np.float64), np.asarray(approx, np.float64)
    if m.shape != m_approx.shape:
        raise ValueError(f"exact and approx must have the same shape, got {m.shape} and {m_approx.shape}")
    if m.size == 0:
        raise ValueError("exact and approx are empty; metrics need at least one element")
    return m, m_approx


def error_distance(exact, approx) -> np.ndarray:
    """ED = |approx - exact|, elementwise."""
    m, m_approx = _pair(exact, approx)
    return np.abs(m_approx - m)


def _relative(exact, approx) -> np.ndarray:
    m, m_approx = _pair(exact, approx)
    nonzero = m != 0
    if not nonzero.any():
        raise ValueError("relative errors need at least one nonzero exact value")
    return np.abs(m_approx[nonzero] - m[nonzero]) / np.abs(m[nonzero])


def mse(exact, approx) -> float:
    """Mean squared error E[(approx - exact)^2]."""
    return float(np.mean(error_distance(exact, approx) ** 2))


def bias(exact, approx) -> float:
    """Mean signed error E[approx - exact]."""
    m, m_approx = _pair(exact, approx)
    return float(np.mean(m_approx - m))


def sqnr_db(exact, approx) -> float:
    """Signal-to-quantization-noise ratio 10 log10(sum exact^2 / sum (approx - exact)^2) in dB
    (+inf without error).

    >>> round(sqnr_db([1.0, -1.0], [1.1, -1.0]), 3)
    23.01
    """
    m, m_approx = _pair(exact, approx)
    noise = float(np.sum((m_approx - m) ** 2))
    signal = float(np.sum(m**2))
    if noise == 0:
        return np.inf
    return float(10 * np.log10(signal / noise)) if signal > 0 else -np.inf


def mean_relative_error(exact, approx) -> float:
    """E[|approx - exact| / |exact|] over the nonzero exact values (the same as :func:`mred`)."""
    return float(np.mean(_relative(exact, approx)))


def max_relative_error(exact, approx) -> float:
    """max |approx - exact| / |exact| over the nonzero exact values (the same as :func:`wcre`)."""
    return float(np.max(_relative(exact, approx)))


mred = mean_relative_error
wcre = max_relative_error


def error_rate(exact, approx) -> float:
    """ER: the fraction of elements where approx != exact."""
    m, m_approx = _pair(exact, approx)
    return float(np.mean(m_approx != m))


def med(exact, approx) -> float:
    """MED: mean error distance E[|approx - exact|]."""
    return float(np.mean(error_distance(exact, approx)))


def wce(exact, approx) -> float:
    """WCE: worst-case error distance max |approx - exact|."""
    return float(np.max(error_distance(exact, approx)))


def nmed(exact, approx, max_output: float) -> float:
    """NMED: MED / ``max_output``, the largest exact output the unit can produce (for an n x n-bit
    unsigned multiplier, (2^n - 1)^2).

    >>> nmed([0.0, 9.0], [1.0, 9.0], max_output=9.0)
    0.05555555555555555
    """
    if not max_output > 0:
        raise ValueError(f"max_output must be positive, got {max_output!r}")
    return med(exact, approx) / float(max_output)


def ned(exact, approx) -> float:
    """NED: E[ED / max ED] (0 when there is no error)."""
    distance = error_distance(exact, approx)
    worst = float(np.max(distance))
    return float(np.mean(distance / worst)) if worst > 0 else 0.0


def ulp_error(exact, approx, fmt: Format | str) -> np.ndarray:
    """|approx - exact| in units in the last place of ``fmt`` at ``exact``, elementwise: the
    spacing of ``fmt``'s values in the binade of |exact| (its subnormal spacing below the normal
    range) for float formats, the resolution for integer and fixed-point formats. A correctly
    rounded nearest result is within 0.5.

    >>> ulp_error([1.0, 3.0], [1.125, 3.0], "e4m3").tolist()
    [1.0, 0.0]
    """
    f = get_format(fmt)
    if not isinstance(f, Format):
        raise TypeError(f"fmt must be a scalar format, got {f.name}")
    m, m_approx = _pair(exact, approx)
    if isinstance(f, FloatFormat):
        magnitude = np.abs(m)
        with np.errstate(divide="ignore"):
            binade = np.floor(np.log2(np.where(magnitude > 0, magnitude, 1.0)))
        ulp = np.exp2(np.maximum(np.where(magnitude > 0, binade, f.emin), f.emin) - f.man_bits)
    else:
        ulp = np.full(m.shape, f.resolution)
    return np.abs(m_approx - m) / ulp


def summary(exact, approx, max_output: float | None = None) -> dict[str, float]:
    """Every scalar metric in one dict (NMED only when ``max_output`` is given; the relative
    metrics only when some exact value is nonzero)."""
    out = {
        "sqnr_db": sqnr_db(exact, approx),
        "mse": mse(exact, approx),
        "bias": bias(exact, approx),
        "error_rate": error_rate(exact, approx),
        "med": med(exact, approx),
        "wce": wce(exact, approx),
        "ned": ned(exact, approx),
    }
    if np.any(np.asarray(exact, np.float64) != 0):
        out["mred"] = mred(exact, approx)
        out["wcre"] = wcre(exact, approx)
    if max_output is not None:
        out["nmed"] = nmed(exact, approx, max_output)
    return out
