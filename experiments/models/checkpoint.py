"""Reading Hugging Face style checkpoint folders: ``config.json`` and safetensors files.

A checkpoint folder holds ``config.json`` and its tensors in safetensors files: either
``model.safetensors.index.json``, whose ``"weight_map"`` maps every tensor key to its shard
(``model-00001-of-00002.safetensors``, ...), or, without an index, every ``*.safetensors`` file of
the folder (usually one, ``model.safetensors``). :func:`read_config` returns the parsed
``config.json``; :func:`open_tensors` returns a :class:`Tensors` that reads a tensor by key.

Tensors are returned as float32 whatever their stored dtype: F32 as is, F16 and F64 converted by
NumPy (F64 rounded to nearest), and BF16, which safetensors' NumPy loader cannot produce, read as
raw little-endian 16-bit words and widened exactly by shifting them into the high half of a
float32 (a bfloat16 is the top 16 bits of the float32 of the same value). Other dtypes (integers,
FP8) are refused with the file, key and dtype.

Errors name the file or key: a folder without ``config.json`` or without safetensors files, or an
index naming a missing shard, raises FileNotFoundError with the path; an unknown key, a bad
header or an unsupported dtype raises ValueError naming the key and file.

>>> import json, pathlib, tempfile, numpy as np
>>> from safetensors.numpy import save_file
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> save_file({"w": np.arange(4, dtype=np.float16).reshape(2, 2)}, folder / "model.safetensors")
>>> _ = (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
>>> read_config(folder)["model_type"], open_tensors(folder).read("w", (2, 2)).tolist()
('llama', [[0.0, 1.0], [2.0, 3.0]])
>>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import safe_open

CONFIG_FILE = "config.json"
INDEX_FILE = "model.safetensors.index.json"
SAFETENSORS_SUFFIX = ".safetensors"
DTYPES = ("F32", "F16", "BF16", "F64")
"""Stored dtypes that :meth:`Tensors.read` converts to float32."""

_HEADER_LENGTH_BYTES = 8  # a safetensors file opens with the header's length, a little-endian u64


def read_config(folder) -> dict:
    """The parsed ``config.json`` of a checkpoint folder (FileNotFoundError naming the path when
    the folder or the file is missing, ValueError when it is not a JSON object)."""
    path = _folder(folder) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: a checkpoint folder holds config.json and *.safetensors files")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(config).__name__}")
    return config


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lies: its file, stored dtype, shape and byte range in the data section."""

    file: Path
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Tensors:
    """The tensors of a checkpoint folder by key, read on demand (:meth:`read`).

    ``entries`` maps each key to its :class:`TensorEntry`; ``folder`` is the checkpoint folder.
    """

    folder: Path
    entries: dict[str, TensorEntry]

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def keys(self) -> list[str]:
        """Every tensor key, sorted."""
        return sorted(self.entries)

    def read(self, key: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Tensor ``key`` as a float32 array; ``shape``, when given, must be its stored shape.

        Raises ValueError naming the key, the folder (or the file) and what is wrong: a missing
        key, another shape, an unsupported dtype.
        """
        entry = self.entries.get(key)
        if entry is None:
            files = sorted({e.file.name for e in self.entries.values()})
            raise ValueError(f"checkpoint {self.folder} has no tensor {key!r} (searched {', '.join(files)})")
        if shape is not None and tuple(shape) != entry.shape:
            raise ValueError(f"{entry.file}: tensor {key!r} has shape {entry.shape}, expected {tuple(shape)} from config.json")
        if entry.dtype not in DTYPES:
            raise ValueError(f"{entry.file}: tensor {key!r} has dtype {entry.dtype}; supported: {', '.join(DTYPES)}")
        if entry.dtype == "BF16":
            return _read_bfloat16(entry)
        with safe_open(entry.file, framework="np") as f:
            return np.asarray(f.get_tensor(key), dtype=np.float32)


def open_tensors(folder) -> Tensors:
    """The tensors of a checkpoint folder: through ``model.safetensors.index.json`` if present,
    else from every ``*.safetensors`` file of the folder."""
    folder = _folder(folder)
    index = folder / INDEX_FILE
    if index.is_file():
        files = _shards(index)
    else:
        files = sorted(folder.glob("*" + SAFETENSORS_SUFFIX))
        if not files:
            raise FileNotFoundError(f"{folder} holds no *.safetensors file and no {INDEX_FILE}: not a checkpoint folder")
    entries: dict[str, TensorEntry] = {}
    for path in files:
        for key, entry in _header(path).items():
            if key in entries:
                raise ValueError(f"tensor {key!r} is stored twice: in {entries[key].file} and {path}")
            entries[key] = entry
    if index.is_file():
        _check_index(index, entries)
    return Tensors(folder, entries)


# ---- helpers ---------------------------------------------------------------------------------


def _folder(folder) -> Path:
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"checkpoint folder {path} does not exist or is not a folder")
    return path


def _shards(index: Path) -> list[Path]:
    """The shard files named by an index, each checked to exist."""
    try:
        weight_map = json.loads(index.read_text())["weight_map"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{index}: expected a JSON object with a 'weight_map' of tensor keys to files ({exc!r})") from None
    shards = []
    for name in sorted(set(weight_map.values())):
        path = index.parent / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: {index.name} maps tensors to it")
        shards.append(path)
    return shards


def _check_index(index: Path, entries: dict[str, TensorEntry]) -> None:
    """Every key of the index lies in the shard the index names."""
    weight_map = json.loads(index.read_text())["weight_map"]
    for key, name in weight_map.items():
        entry = entries.get(key)
        if entry is None or entry.file.name != name:
            raise ValueError(f"{index}: maps tensor {key!r} to {name}, which does not hold it")


def _header(path: Path) -> dict[str, TensorEntry]:
    """The tensor entries of a safetensors file, read from its JSON header (the layout is a u64
    header length, the header, then the data section the offsets count from)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(_HEADER_LENGTH_BYTES)
        length = struct.unpack("<Q", raw)[0] if len(raw) == _HEADER_LENGTH_BYTES else size
        if length > size - _HEADER_LENGTH_BYTES:
            raise ValueError(f"{path}: not a safetensors file (its header length {length} exceeds the file size {size})")
        try:
            header = json.loads(f.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a safetensors file (header: {exc})") from None
    data_start = _HEADER_LENGTH_BYTES + length
    entries = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, end = (data_start + int(o) for o in info["data_offsets"])
            entries[key] = TensorEntry(path, str(info["dtype"]), tuple(int(n) for n in info["shape"]), start, end)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: tensor {key!r} has a malformed header entry {info!r} ({exc!r})") from None
        if end > size:
            raise ValueError(f"{path}: tensor {key!r} ends at byte {end}, beyond the file's {size} bytes")
    return entries


def _read_bfloat16(entry: TensorEntry) -> np.ndarray:
    """A BF16 tensor widened exactly to float32: each 16-bit word becomes the high half."""
    count = (entry.end - entry.start) // 2
    words = np.fromfile(entry.file, dtype="<u2", count=count, offset=entry.start)
    if words.size != int(np.prod(entry.shape, dtype=np.int64)):
        raise ValueError(f"{entry.file}: BF16 tensor of shape {entry.shape} holds {words.size} values")
    return (words.astype(np.uint32) << 16).view(np.float32).reshape(entry.shape)
