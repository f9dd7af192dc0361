"""experiments.models.metrics: sliding windows score every token once, and perplexity, KL and top-1
agreement equal direct computations from the float64 reference logits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.models import compare, emulate, load_model, perplexity
from experiments.models.metrics import windows
from model_checkpoints import llama_config, llama_tensors, reference_llama, write_checkpoint, write_word_tokenizer

TEXT = np.random.default_rng(4).integers(0, 256, 70)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    folder = tmp_path_factory.mktemp("llama")
    config = llama_config("llama")
    stored = write_checkpoint(folder, config, llama_tensors(config, seed=2))
    return load_model(folder), config, stored


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_windows_by_hand():
    assert windows(10, 4, 2, has_prefix=False) == [(0, 4, 1), (2, 6, 4), (4, 8, 6), (6, 10, 8)]
    assert windows(10, 4, 4, has_prefix=True) == [(0, 4, 0), (4, 8, 4), (8, 10, 8)]
    assert windows(3, 8, 4, has_prefix=False) == [(0, 3, 1)]
    assert windows(9, 4, 3, has_prefix=False) == [(0, 4, 1), (3, 7, 4), (6, 9, 7)]


@pytest.mark.parametrize("n, length, stride, prefix", [(70, 32, 16, False), (70, 31, 31, True), (33, 32, 1, False), (5, 32, 16, True),
                                                       (100, 7, 6, False), (64, 16, 5, True)])
def test_every_token_is_scored_once_with_context_from_its_window(n, length, stride, prefix):
    scored = []
    for start, end, first in windows(n, length, stride, has_prefix=prefix):
        assert end - start <= length and start <= first - (0 if prefix else 1) and first <= end
        scored += range(first, end)
    assert scored == list(range(0 if prefix else 1, n))


def test_single_window_perplexity_is_the_mean_nll_of_the_reference(llama):
    model, config, stored = llama
    tokens = TEXT[:32]
    logp = _log_softmax(reference_llama(config, stored, tokens))
    nll = -np.mean([logp[t - 1, tokens[t]] for t in range(1, 32)])
    r = perplexity(model, tokens)
    assert r["tokens_scored"] == 31 and r["windows"] == 1
    assert r["nll_nats_per_token"] == pytest.approx(nll, rel=1e-5) and r["perplexity"] == pytest.approx(math.exp(nll), rel=1e-5)


def test_sliding_window_perplexity_scores_each_token_in_its_first_window(llama):
    """n = 70, windows of 32 every 16: tokens 1..31 from window 0, 32..47 from window 1 (start
    16), 48..63 from window 2 (start 32), 64..69 from window 3 (start 48)."""
    model, config, stored = llama
    nll = 0.0
    for start, targets in ((0, range(1, 32)), (16, range(32, 48)), (32, range(48, 64)), (48, range(64, 70))):
        window = TEXT[start:start + 32]
        logp = _log_softmax(reference_llama(config, stored, window))
        nll -= sum(logp[t - start - 1, TEXT[t]] for t in targets)
    r = perplexity(model, TEXT, window=32, stride=16)
    assert (r["tokens_scored"], r["windows"]) == (69, 4)
    assert r["perplexity"] == pytest.approx(math.exp(nll / 69), rel=1e-5)
    assert perplexity(model, TEXT)["perplexity"] == r["perplexity"]   # the defaults: the context, half of it


def test_a_bos_prefix_scores_the_first_token_too(tmp_path):
    config = llama_config("llama", byte_tokens=False, vocab_size=16)
    stored = write_checkpoint(tmp_path, config, llama_tensors(config))
    write_word_tokenizer(tmp_path, [f"w{i}" for i in range(10)], bos=True)
    model = load_model(tmp_path)
    text = " ".join(f"w{i % 10}" for i in range(40))
    ids = model.tokenizer.encode(text)
    r = perplexity(model, text, stride=31)
    assert (r["tokens_scored"], r["windows"]) == (40, 2)          # windows of 31 tokens after the BOS
    nll = 0.0
    for start, end in ((0, 31), (31, 40)):
        logp = _log_softmax(reference_llama(config, stored, np.concatenate([[1], ids[start:end]])))
        nll -= sum(logp[t - start, ids[t]] for t in range(start, end))
    assert r["perplexity"] == pytest.approx(math.exp(nll / 40), rel=1e-5)


def test_compare_reports_kl_and_agreement_against_float32(llama):
    model, config, stored = llama
    emulated = emulate(model, {"default": "e4m3"})
    r = compare(emulated, TEXT, window=32, stride=16)
    kl, agree, nll, nll32 = 0.0, 0, 0.0, 0.0
    for start, end, first in windows(70, 32, 16, has_prefix=False):
        lp = _log_softmax(emulated.logits(TEXT[start:end]).astype(np.float64))[first - start - 1:end - start - 1]
        lp32 = _log_softmax(reference_llama(config, stored, TEXT[start:end]))[first - start - 1:end - start - 1]
        kl += float((np.exp(lp32) * (lp32 - lp)).sum())
        agree += int((lp.argmax(-1) == lp32.argmax(-1)).sum())
        nll -= lp[np.arange(end - first), TEXT[first:end]].sum()
        nll32 -= lp32[np.arange(end - first), TEXT[first:end]].sum()
    assert r["kl_nats_per_token"] == pytest.approx(kl / 69, rel=1e-3) and r["kl_nats_per_token"] > 0
    assert r["top1_agreement_pct"] == pytest.approx(100 * agree / 69)
    assert r["perplexity"] == pytest.approx(math.exp(nll / 69), rel=1e-9)
    assert r["perplexity_float32"] == pytest.approx(math.exp(nll32 / 69), rel=1e-5)
    assert r["perplexity_increase"] == pytest.approx(r["perplexity"] - r["perplexity_float32"])
