"""Text to token ids: the checkpoint's ``tokenizer.json`` (through the ``tokenizers`` library), or
UTF-8 bytes for byte-level models.

* A folder whose ``config.json`` sets ``"byte_tokens": true`` (numsim's own flag) reads text as
  UTF-8 bytes: token ids 0..255, no special tokens; a ``tokenizer.json`` next to it is ignored.
* Otherwise the folder's ``tokenizer.json`` is loaded with ``tokenizers.Tokenizer.from_file``.
  :meth:`Tokenizer.encode` returns the ids of the text alone (no special tokens);
  :attr:`Tokenizer.prefix` holds the ids the tokenizer puts before a text when asked for its
  special tokens (Llama's BOS ``(1,)``, Llama 3's ``(128000,)``; none for GPT-2). Metrics put
  the prefix at the start of every window (:mod:`experiments.models.metrics`).

A folder with neither raises FileNotFoundError naming the missing ``tokenizer.json``; a tokenizer
whose vocabulary (added tokens included) outgrows ``vocab_size`` of ``config.json`` raises
ValueError naming both files and both sizes, since its ids would fall outside the embedding.

>>> tok = byte_tokenizer()
>>> tok.encode("hé").tolist(), tok.prefix, tok.decode([104, 195, 169])
([104, 195, 169], (), 'hé')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tokenizers

from .architectures import BYTE_VOCABULARY, ModelConfig
from .checkpoint import CONFIG_FILE

TOKENIZER_FILE = "tokenizer.json"
BYTES = "bytes"  # the source of a byte-level tokenizer
_PROBE = "a"  # a text encoded with and without special tokens to find the prefix


class Tokenizer:
    """Encodes text to token ids and back.

    Attributes
    ----------
    source : str
        Path of the ``tokenizer.json`` read, or ``"bytes"``.
    vocab_size : int
        Ids the tokenizer can produce (added tokens included).
    prefix : tuple of int
        Ids put before a text as its special tokens (a BOS token), possibly empty.
    """

    __slots__ = ("source", "vocab_size", "prefix", "_backend")

    def __init__(self, source: str, vocab_size: int, prefix: tuple[int, ...], backend=None):
        self.source, self.vocab_size, self.prefix, self._backend = source, vocab_size, prefix, backend

    def encode(self, text: str) -> np.ndarray:
        """The token ids of ``text`` (int64, no special tokens)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if self._backend is None:
            return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
        return np.asarray(self._backend.encode(text, add_special_tokens=False).ids, dtype=np.int64)

    def decode(self, ids) -> str:
        """The text of token ids (invalid UTF-8 of a byte-level model becomes U+FFFD)."""
        ids = [int(i) for i in np.asarray(ids).ravel()]
        if self._backend is None:
            return bytes(ids).decode("utf-8", errors="replace")
        return self._backend.decode(ids, skip_special_tokens=False)

    def __repr__(self) -> str:
        return f"Tokenizer(source={self.source!r}, vocab_size={self.vocab_size}, prefix={self.prefix})"


def byte_tokenizer() -> Tokenizer:
    """The tokenizer of byte-level models: UTF-8 bytes, ids 0..255, no prefix."""
    return Tokenizer(BYTES, BYTE_VOCABULARY, ())


def load_tokenizer(folder, config: ModelConfig) -> Tokenizer:
    """The tokenizer of a checkpoint folder (module docstring), checked against ``config``."""
    if config.byte_tokens:
        return byte_tokenizer()
    path = Path(folder) / TOKENIZER_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; a byte-level model sets \"byte_tokens\": true in {CONFIG_FILE} instead")
    try:
        backend = tokenizers.Tokenizer.from_file(str(path))
    except Exception as exc:  # the library raises its own exception types
        raise ValueError(f"{path}: not a tokenizers file ({exc})") from None
    vocab = backend.get_vocab_size(with_added_tokens=True)
    if vocab > config.vocab_size:
        raise ValueError(f"{path} has a vocabulary of {vocab} tokens, more than vocab_size={config.vocab_size} of "
                         f"{Path(folder) / CONFIG_FILE}: the tokenizer does not belong to this model")
    return Tokenizer(str(path), vocab, _prefix(backend), backend)


def _prefix(backend) -> tuple[int, ...]:
    """The ids the tokenizer puts before a text among its special tokens."""
    plain = backend.encode(_PROBE, add_special_tokens=False).ids
    special = backend.encode(_PROBE, add_special_tokens=True).ids
    for start in range(len(special) - len(plain) + 1):
        if special[start:start + len(plain)] == plain:
            return tuple(special[:start])
    return ()
