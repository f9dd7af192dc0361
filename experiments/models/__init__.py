"""Transformer checkpoints evaluated with every matmul through a numsim datapath.

* :func:`load_model` reads a Hugging Face style folder (``config.json``, safetensors, optionally
  sharded, ``tokenizer.json``) of a Llama, Mistral, Qwen2 or GPT-2 model
  (:mod:`~experiments.models.checkpoint`, :mod:`~experiments.models.architectures`,
  :mod:`~experiments.models.tokenize`); ``Model.logits`` is the model in float32.

>>> sorted(MODEL_TYPES)
['gpt2', 'llama', 'mistral', 'qwen2']
"""

from .architectures import MODEL_TYPES, ModelConfig, op_names
from .model import Model, load_model

__all__ = ["MODEL_TYPES", "Model", "ModelConfig", "load_model", "op_names"]
