"""Perplexity of a model on a text, and the emulated model against its float32 self.

Sliding windows
---------------
A text of ``n`` tokens is read in windows of ``L`` text tokens (``window``; default: the context
minus the tokenizer's prefix) that start every ``stride`` tokens (default ``L // 2``): window
``w`` holds tokens ``[w * stride, min(w * stride + L, n))``, and the last one ends at ``n``. The
model sees the tokenizer's prefix (a BOS token, if it has one) followed by the window's tokens,
and the logits at each position predict the next token. Every token is scored exactly once, in
the first window that has it as a target, with all earlier tokens of that window as context:

* with a prefix, every token of the text is scored (the first from the prefix alone), and
  ``stride <= L``;
* without one, the first token of a window is context only: the text's first token is never
  scored (``n - 1`` tokens are), and ``stride < L`` so that later windows never skip a token.

Log-probabilities are the log-softmax of the float32 logits, computed in float64.
:func:`perplexity` reports ``exp`` of the mean negative log-likelihood (nats per scored token).
:func:`compare` runs an :class:`~experiments.models.emulation.EmulatedModel` and its float32
model on the same windows: both perplexities and the increase, the KL divergence
``KL(P_float32 || P_emulated)`` averaged over the scored positions (nats per token), and the
top-1 agreement (% of scored positions whose most likely next token is the same).

>>> windows(10, 4, 2, has_prefix=False)    # (start, end, first scored token) of each window
[(0, 4, 1), (2, 6, 4), (4, 8, 6), (6, 10, 8)]
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks
from .emulation import EmulatedModel


def windows(n: int, length: int, stride: int, *, has_prefix: bool) -> list[tuple[int, int, int]]:
    """``(start, end, first_target)`` of the windows over ``n`` tokens: the window holds tokens
    ``[start, end)`` and scores ``[first_target, end)`` (module docstring)."""
    minimum = 1 if has_prefix else 2
    if n < minimum:
        raise ValueError(f"a text needs at least {minimum} token(s) to score {'with' if has_prefix else 'without'} a prefix, got {n}")
    limit = length if has_prefix else length - 1
    if not 1 <= stride <= limit:
        raise ValueError(f"stride must lie in [1, {limit}] for windows of {length} tokens "
                         f"({'with' if has_prefix else 'without'} a prefix), got {stride}")
    out, scored = [], 0 if has_prefix else 1
    start = 0
    while scored < n:
        end = min(start + length, n)
        out.append((start, end, scored))
        scored, start = end, start + stride
    return out


def perplexity(model, text, *, window: int | None = None, stride: int | None = None) -> dict[str, float]:
    """Perplexity of ``model`` (a :class:`~experiments.models.Model` or an
    :class:`~experiments.models.emulation.EmulatedModel`) on ``text`` (a string or token ids)
    over sliding windows (module docstring).

    Returns ``perplexity``, ``nll_nats_per_token``, ``tokens_scored`` and ``windows``.
    """
    nll, count, n_windows = 0.0, 0, 0
    for logprobs, targets in _scored(model, text, window, stride):
        nll -= float(logprobs[np.arange(len(targets)), targets].sum())
        count += len(targets)
        n_windows += 1
    return {"perplexity": math.exp(nll / count), "nll_nats_per_token": nll / count, "tokens_scored": count, "windows": n_windows}


def compare(emulated: EmulatedModel, text, *, window: int | None = None, stride: int | None = None) -> dict[str, float]:
    """``emulated`` against its model in float32 on the same windows of ``text``.

    Returns ``perplexity``, ``perplexity_float32``, ``perplexity_increase`` (emulated minus
    float32), ``perplexity_increase_pct``, ``kl_nats_per_token``, ``top1_agreement_pct`` and
    ``tokens_scored``.
    """
    if not isinstance(emulated, EmulatedModel):
        raise TypeError(f"emulated must be an EmulatedModel (experiments.models.emulate), got {type(emulated).__name__}")
    nll = np.zeros(2)
    kl, agree, count = 0.0, 0, 0
    pairs = zip(_scored(emulated, text, window, stride), _scored(emulated.model, text, window, stride))
    for (lp, targets), (lp32, _) in pairs:
        rows = np.arange(len(targets))
        nll -= [lp[rows, targets].sum(), lp32[rows, targets].sum()]
        with np.errstate(invalid="ignore"):
            kl += float((np.exp(lp32) * (lp32 - lp)).sum())
        agree += int((lp.argmax(axis=-1) == lp32.argmax(axis=-1)).sum())
        count += len(targets)
    ppl, ppl32 = np.exp(nll / count)
    return {"perplexity": float(ppl), "perplexity_float32": float(ppl32), "perplexity_increase": float(ppl - ppl32),
            "perplexity_increase_pct": float(100 * (ppl - ppl32) / ppl32), "kl_nats_per_token": kl / count,
            "top1_agreement_pct": 100 * agree / count, "tokens_scored": count}


def _scored(model, text, window, stride):
    """``(log-probabilities, target ids)`` of the scored positions of each window: float64
    ``(targets, vocab)`` and int ``(targets,)``."""
    ids = model.tokenizer.encode(text) if isinstance(text, str) else np.asarray(text)
    prefix = list(model.tokenizer.prefix)
    room = model.config.context - len(prefix)
    length = room if window is None else _checks.count("window", window)
    if length > room:
        raise ValueError(f"window must be at most {room} tokens (the context {model.config.context} minus a prefix of "
                         f"{len(prefix)}), got {length}")
    step = max(1, length // 2) if stride is None else _checks.count("stride", stride)
    for start, end, first in windows(len(ids), length, step, has_prefix=bool(prefix)):
        logits = model.logits(np.concatenate([prefix, ids[start:end]]).astype(np.int64)).astype(np.float64)
        logits = logits[len(prefix) + first - start - 1:len(prefix) + end - start - 1]
        shifted = logits - logits.max(axis=-1, keepdims=True)
        yield shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True)), ids[first:end]
