"""Transformer checkpoints evaluated with every matmul through a numsim datapath.

* :func:`load_model` reads a Hugging Face style folder (``config.json``, safetensors, optionally
  sharded, ``tokenizer.json``) of a Llama, Mistral, Qwen2 or GPT-2 model
  (:mod:`~experiments.models.checkpoint`, :mod:`~experiments.models.architectures`,
  :mod:`~experiments.models.tokenize`); ``Model.logits`` is the model in float32.
* A :class:`Policy` (:mod:`~experiments.models.policy`) assigns datapaths, scaling, weight-only
  formats and Hadamard rotations to ops by name patterns, and a KV cache format;
  :func:`emulate` runs the forward pass under it (:mod:`~experiments.models.emulation`).
* :func:`perplexity` and :func:`compare` (:mod:`~experiments.models.metrics`) score a text over
  sliding windows: perplexity, KL divergence and top-1 agreement against float32.

>>> sorted(MODEL_TYPES)
['gpt2', 'llama', 'mistral', 'qwen2']
"""

from .architectures import MODEL_TYPES, ModelConfig, op_names
from .emulation import EmulatedModel, emulate
from .metrics import compare, perplexity
from .model import Model, load_model
from .policy import KVCache, Policy, Rule, ScaleRecipe, load_policy

__all__ = ["MODEL_TYPES", "EmulatedModel", "KVCache", "Model", "ModelConfig", "Policy", "Rule", "ScaleRecipe", "compare", "emulate",
           "load_model", "load_policy", "op_names", "perplexity"]
