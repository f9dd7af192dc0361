"""A loaded checkpoint: its :class:`~experiments.models.architectures.ModelConfig`, float32
weights by canonical name and tokenizer; :meth:`Model.logits` is the model in float32.

>>> import json, pathlib, tempfile, numpy as np
>>> from safetensors.numpy import save_file
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> cfg = {"model_type": "gpt2", "vocab_size": 256, "n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 16,
...        "byte_tokens": True}
>>> _ = (folder / "config.json").write_text(json.dumps(cfg))
>>> shapes = {"wte.weight": (256, 8), "wpe.weight": (16, 8), "ln_f.weight": (8,), "ln_f.bias": (8,)}
>>> for n, (i, o) in {"attn.c_attn": (8, 24), "attn.c_proj": (8, 8), "mlp.c_fc": (8, 32), "mlp.c_proj": (32, 8)}.items():
...     shapes |= {f"h.0.{n}.weight": (i, o), f"h.0.{n}.bias": (o,)}
>>> shapes |= {f"h.0.{n}.{p}": (8,) for n in ("ln_1", "ln_2") for p in ("weight", "bias")}
>>> rng = np.random.default_rng(0)
>>> save_file({k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}, folder / "model.safetensors")
>>> model = load_model(folder)
>>> model.logits(model.tokenizer.encode("hi")).shape, model.ops[:2]
((2, 256), ('layers.0.attn.qkv_proj', 'layers.0.attn.qk'))
>>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .architectures import ModelConfig, config_from_json, op_names, read_weights
from .checkpoint import CONFIG_FILE, open_tensors, read_config
from .forward import Float32, forward
from .tokenize import Tokenizer, load_tokenizer


@dataclass(frozen=True, eq=False)
class Model:
    """A transformer read from a checkpoint folder (:func:`load_model`).

    Attributes
    ----------
    config : ModelConfig
    weights : dict of str to numpy.ndarray
        Read-only float32 weights by canonical name (projections ``(in, out)``).
    tokenizer : Tokenizer
    folder : pathlib.Path
    """

    config: ModelConfig
    weights: dict[str, np.ndarray]
    tokenizer: Tokenizer
    folder: Path

    @property
    def ops(self) -> tuple[str, ...]:
        """The canonical names of the forward pass's matmuls, in the order they run."""
        return op_names(self.config)

    def logits(self, tokens) -> np.ndarray:
        """The float32 model's logits of ``tokens``: ``(T, vocab_size)`` float32."""
        return forward(self.config, self.weights, tokens, Float32(self.weights))


def load_model(folder) -> Model:
    """The model of a Hugging Face style folder (``config.json``, safetensors, ``tokenizer.json``
    or ``"byte_tokens": true``); see :mod:`experiments.models.checkpoint` for the files and
    :mod:`experiments.models.architectures` for the supported architectures."""
    folder = Path(folder)
    config = config_from_json(read_config(folder), str(folder / CONFIG_FILE))
    tokenizer = load_tokenizer(folder, config)
    return Model(config, read_weights(config, open_tensors(folder)), tokenizer, folder)
