"""Docstring examples of numsim's private helper modules (the public ones run in test_cli_and_docs)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["numsim._checks", "numsim._exact_inputs", "numsim._lazy", "numsim._operands", "numsim._random_bits"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
