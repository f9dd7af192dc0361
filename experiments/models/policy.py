"""Policies: the datapath, scaling and transforms of every matmul of a model, by op name.

A :class:`Policy` holds a default datapath, an ordered list of :class:`Rule` s, an optional
:class:`KVCache` format and the seed of the Hadamard transforms. Ops are named as in
:func:`experiments.models.architectures.op_names` (``layers.3.mlp.down_proj``,
``layers.0.attn.qk``, ``lm_head``, ...).

Matching (:meth:`Policy.assign`): every op starts with the default datapath; then the rules are
applied in order and **the last rule whose pattern matches** an op's name decides everything
about that op (write general rules first, exceptions after). Patterns are ``fnmatch`` patterns,
case-sensitive: ``*`` matches any run of characters, dots included (``layers.*.attn.*_proj``,
``layers.1?.*``), ``?`` one character, ``[0-3]`` a set. A pattern that matches no op of the
model is an error that names it.

Datapaths are spelled in numsim's grammar (:func:`numsim.get_datapath`). What a rule does to its
ops is described in :mod:`experiments.models.emulation`; the fields are:

==================  ==============================================================================
``datapath``        the datapath of the op (``"e4m3 -> acc fp32"``, ``"mxfp4"``, ``"bf16"``)
``a_scaling``       scales of A, the activations: ``auto`` (default), ``none``, ``tensor``, ``token``
                    (one per row: a token; per head for Q and P)
``b_scaling``       scales of B (a weight, K^T or V): ``auto``, ``none``, ``tensor``, ``channel``
                    (one per column: an output channel of a weight, a key of K^T, a channel of V)
``scale``           the scales' recipe (:class:`ScaleRecipe`): a scale format (``"e8m0"``) or a
                    table ``{format = "fp32", rounding = "toward_positive", power_of_two = false}``
``weight_format``   weight-only quantization: the format the weights are stored in (``"int4"``,
                    ``"e2m1"``, ``"mxfp4"``); dequantized into the datapath's B format
``weight_scaling``  scales of weight-only formats: ``auto`` (per channel; none for block formats),
                    ``tensor``, ``channel``, ``block(N)`` (N consecutive weights along K per channel)
``hadamard``        ``false`` (default), ``true`` (blocks of the largest power of two dividing K)
                    or a power-of-two block size: a random Hadamard rotation of the inner dimension
==================  ==============================================================================

``auto`` scaling is ``tensor`` for formats that carry a software scale (integers, fixed point and
floats of fewer than 16 bits) and ``none`` for block formats, which scale themselves, and wider
floats, as in :mod:`experiments.tasks`.

As TOML (:func:`load_policy` reads a file or the same table as a dict)::

    default = "fp32"                 # ops no rule names
    hadamard_seed = 0
    kv_cache = { format = "e4m3", scaling = "token" }

    [rules]                          # pattern = datapath, or a table of the fields above
    "layers.*" = "e4m3 -> acc fp32"
    "layers.*.attn.qk" = "bf16"
    "lm_head" = { datapath = "bf16", weight_format = "int4", weight_scaling = "block(32)" }

>>> policy = load_policy({"rules": {"layers.*": "e4m3", "layers.*.attn.qk": "bf16"}})
>>> rules = policy.assign(["layers.0.attn.q_proj", "layers.0.attn.qk", "lm_head"])
>>> [(op, rule.pattern, rule.datapath.a_format.name) for op, rule in rules.items()]
[('layers.0.attn.q_proj', 'layers.*', 'float8_e4m3fn'), ('layers.0.attn.qk', 'layers.*.attn.qk', 'bfloat16'), ('lm_head', '*', 'float32')]
"""

from __future__ import annotations

import difflib
import fnmatch
import numbers
import pathlib
import re
from dataclasses import dataclass, field, fields

import numsim
from numsim import BlockFormat, Datapath

from .. import _checks
from ..spec import read_toml
from ..tasks import carries_scale
from .architectures import is_attention_product


A_SCALINGS = ("auto", "none", "tensor", "token")
B_SCALINGS = ("auto", "none", "tensor", "channel")
KV_SCALINGS = ("auto", "none", "tensor", "token")
WEIGHT_SCALINGS = ("auto", "tensor", "channel", "block(N)")
POLICY_KEYS = ("default", "rules", "kv_cache", "hadamard_seed")
_BLOCK_SCALING = re.compile(r"block\((\d+)\)")


@dataclass(frozen=True, kw_only=True, slots=True)
class ScaleRecipe:
    """How amax scales are rounded (:func:`numsim.scale_from_amax`): their ``format``, the
    ``rounding`` of ``amax / fmt.max`` into it, and whether they are powers of two.

    >>> ScaleRecipe(format="e8m0")
    ScaleRecipe(format='float8_e8m0fnu', rounding='toward_positive', power_of_two=False)
    """

    format: str = "fp32"
    rounding: str = "toward_positive"
    power_of_two: bool = False

    def __post_init__(self) -> None:
        numsim.scale_from_amax(1.0, "int8", **self.kwargs())  # validates the three fields
        object.__setattr__(self, "format", numsim.get_format(self.format).name)
        object.__setattr__(self, "rounding", numsim.Rounding.parse(self.rounding).value)

    def kwargs(self) -> dict:
        """The keyword arguments of numsim's scale functions."""
        return {"scale_format": self.format, "rounding": self.rounding, "power_of_two": self.power_of_two}

    @classmethod
    def parse(cls, value) -> ScaleRecipe:
        """A recipe from a recipe, a scale format name or a table of the fields."""
        if isinstance(value, ScaleRecipe):
            return value
        if isinstance(value, str):
            return cls(format=value)
        if isinstance(value, dict):
            return cls(**_known_keys("scale", value, [f.name for f in fields(cls)]))
        raise ValueError(f"scale must be a scale format name or a table of format, rounding, power_of_two, got {value!r}")


@dataclass(frozen=True)
class Rule:
    """The datapath and treatment of the ops whose names match ``pattern`` (module docstring).

    >>> Rule("lm_head", "bf16", weight_format="int4", weight_scaling="block(32)").weight_block_size
    32
    """

    pattern: str
    datapath: Datapath | str
    a_scaling: str = "auto"
    b_scaling: str = "auto"
    scale: ScaleRecipe | str | dict = field(default_factory=ScaleRecipe)
    weight_format: numsim.Format | BlockFormat | str | None = None
    weight_scaling: str = "auto"
    hadamard: bool | int = False

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str) or not self.pattern:
            raise ValueError(f"a rule's pattern must be a non-empty string, got {self.pattern!r}")
        where = f"rule {self.pattern!r}"
        dp = numsim.get_datapath(self.datapath)
        object.__setattr__(self, "datapath", dp)
        object.__setattr__(self, "scale", ScaleRecipe.parse(self.scale))
        a = _checks.choice(f"{where}: a_scaling", self.a_scaling, A_SCALINGS)
        b = _checks.choice(f"{where}: b_scaling", self.b_scaling, B_SCALINGS)
        for name, value, fmt in (("a_scaling", a, dp.a_format), ("b_scaling", b, dp.b_format)):
            if value not in ("auto", "none") and isinstance(fmt, BlockFormat):
                raise ValueError(f"{where}: {name}={value!r}, but {fmt.name} is a block format with its own scales; use 'auto' or 'none'")
        if self.weight_format is not None:
            weight_format = numsim.get_format(self.weight_format)
            object.__setattr__(self, "weight_format", weight_format)
            if b not in ("auto", "none"):
                raise ValueError(f"{where}: b_scaling={b!r} with weight_format: the dequantized weights enter the datapath unscaled; "
                                 "use weight_scaling for the weights' scales")
            if self.weight_scaling != "auto" and isinstance(weight_format, BlockFormat):
                raise ValueError(f"{where}: weight_scaling={self.weight_scaling!r}, but {weight_format.name} is a block format with its own scales")
        elif self.weight_scaling != "auto":
            raise ValueError(f"{where}: weight_scaling={self.weight_scaling!r} needs a weight_format")
        _weight_block_size(self.pattern, self.weight_scaling)
        if isinstance(self.hadamard, bool):
            return
        if not isinstance(self.hadamard, numbers.Integral) or self.hadamard < 2 or self.hadamard & (self.hadamard - 1):
            raise ValueError(f"{where}: hadamard must be true, false or a power of two >= 2 (the block size), got {self.hadamard!r}")

    @property
    def operand_scalings(self) -> tuple[str, str]:
        """``(a_scaling, b_scaling)`` with ``auto`` resolved for the datapath's formats (B takes no
        scale under weight-only quantization)."""
        dp = self.datapath
        a = ("tensor" if carries_scale(dp.a_format) else "none") if self.a_scaling == "auto" else self.a_scaling
        b = self.b_scaling
        if b == "auto":
            b = "tensor" if carries_scale(dp.b_format) and self.weight_format is None else "none"
        return a, b

    @property
    def weight_block_size(self) -> int | None:
        """N of ``weight_scaling="block(N)"``, else None."""
        return _weight_block_size(self.pattern, self.weight_scaling)

    @classmethod
    def from_table(cls, pattern: str, value) -> Rule:
        """A rule from a datapath spelling or a table of the fields (TOML ``[rules]`` entries)."""
        if isinstance(value, (str, Datapath)):
            return cls(pattern, value)
        if not isinstance(value, dict) or "datapath" not in value:
            raise ValueError(f"rule {pattern!r} must be a datapath or a table with a datapath, got {value!r}")
        return cls(pattern, **_known_keys(f"rule {pattern!r}", value, [f.name for f in fields(cls)][1:]))


@dataclass(frozen=True, kw_only=True)
class KVCache:
    """The format the keys and values are stored in: ``format`` (scalar or block, blocks along
    head_dim), ``scaling`` (``auto``, ``none``, ``tensor`` or ``token``: one scale per token and
    head) and the scales' ``scale`` recipe.

    >>> KVCache(format="int8", scaling="token").format.name
    'int8'
    """

    format: numsim.Format | BlockFormat | str
    scaling: str = "auto"
    scale: ScaleRecipe | str | dict = field(default_factory=ScaleRecipe)

    def __post_init__(self) -> None:
        fmt = numsim.get_format(self.format)
        object.__setattr__(self, "format", fmt)
        object.__setattr__(self, "scale", ScaleRecipe.parse(self.scale))
        scaling = _checks.choice("kv_cache.scaling", self.scaling, KV_SCALINGS)
        if scaling not in ("auto", "none") and isinstance(fmt, BlockFormat):
            raise ValueError(f"kv_cache.scaling={scaling!r}, but {fmt.name} is a block format with its own scales; use 'auto' or 'none'")

    @property
    def resolved_scaling(self) -> str:
        """``scaling`` with ``auto`` resolved for the format."""
        if self.scaling != "auto":
            return self.scaling
        return "tensor" if carries_scale(self.format) else "none"

    @classmethod
    def parse(cls, value) -> KVCache | None:
        """A cache format from None, a format name or a table of the fields."""
        if value is None or isinstance(value, KVCache):
            return value
        if isinstance(value, str):
            return cls(format=value)
        if isinstance(value, dict) and "format" in value:
            return cls(**_known_keys("kv_cache", value, [f.name for f in fields(cls)]))
        raise ValueError(f"kv_cache must be a format name or a table with a format, got {value!r}")


@dataclass(frozen=True)
class Policy:
    """A default datapath, rules applied in order (last match wins), a KV cache format and the
    seed of the Hadamard rotations (module docstring).

    >>> Policy(default="bf16").assign(["lm_head"])["lm_head"].datapath.name
    'bf16*bf16 exact -> acc fp32 (sequential) -> fp32'
    """

    rules: tuple[Rule, ...] = ()
    default: Datapath | str = "fp32"
    kv_cache: KVCache | str | dict | None = None
    hadamard_seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "default", numsim.get_datapath(self.default))
        object.__setattr__(self, "rules", tuple(self.rules))
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"rules must be Rule objects, got {rule!r}")
        object.__setattr__(self, "kv_cache", KVCache.parse(self.kv_cache))
        object.__setattr__(self, "hadamard_seed", _checks.count("hadamard_seed", self.hadamard_seed, minimum=0))

    def assign(self, ops) -> dict[str, Rule]:
        """The rule of every op (the last matching rule, else the default as pattern ``*``).

        Raises ValueError naming a pattern that matches no op, and the op a rule cannot apply
        to (weight-only quantization of an attention product).
        """
        ops = list(ops)
        assigned = dict.fromkeys(ops, Rule("*", self.default))
        for rule in self.rules:
            matched = fnmatch.filter(ops, rule.pattern)
            if not matched:
                close = difflib.get_close_matches(rule.pattern, ops, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"policy rule pattern {rule.pattern!r} matches no op of the model (ops are named like "
                                 f"{ops[0]!r}, {ops[-1]!r}: see experiments.models.architectures.op_names){hint}")
            for op in matched:
                if rule.weight_format is not None and is_attention_product(op):
                    raise ValueError(f"rule {rule.pattern!r} sets weight_format, but {op} multiplies two activations (no weight)")
                assigned[op] = rule
        return assigned

    @classmethod
    def from_table(cls, table: dict, source: str = "policy") -> Policy:
        """A policy from its TOML table (module docstring); errors name ``source``."""
        if not isinstance(table, dict):
            raise ValueError(f"{source}: a policy is a table of {', '.join(POLICY_KEYS)}, got {table!r}")
        try:
            table = _known_keys(source, table, POLICY_KEYS)
            rules = table.pop("rules", {})
            if not isinstance(rules, dict):
                raise ValueError(f"rules must be a table of pattern = datapath or rule table, got {rules!r}")
            return cls(rules=tuple(Rule.from_table(p, v) for p, v in rules.items()), **table)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}") from None


def load_policy(source) -> Policy:
    """A policy from a :class:`Policy`, a dict (its TOML table) or the path of a TOML file."""
    if isinstance(source, Policy):
        return source
    if isinstance(source, dict):
        return Policy.from_table(source)
    if isinstance(source, (str, pathlib.Path)):
        path = pathlib.Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"policy file {path} not found")
        return Policy.from_table(read_toml(path), str(path))
    raise TypeError(f"policy must be a Policy, a dict or the path of a TOML file, got {type(source).__name__}")


def _weight_block_size(pattern: str, weight_scaling) -> int | None:
    if weight_scaling in WEIGHT_SCALINGS[:3]:
        return None
    match = _BLOCK_SCALING.fullmatch(weight_scaling) if isinstance(weight_scaling, str) else None
    if match is None or int(match[1]) < 1:
        raise ValueError(f"rule {pattern!r}: weight_scaling must be one of {', '.join(WEIGHT_SCALINGS)}, got {weight_scaling!r}")
    return int(match[1])


def _known_keys(where: str, table: dict, allowed) -> dict:
    """A copy of ``table`` whose keys are all ``allowed`` (ValueError naming the first unknown one
    and the closest allowed key)."""
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{where}: unknown key {key!r}, allowed: {', '.join(allowed)}{hint}")
    return dict(table)
