"""The console script, the README's promises and the docstring examples."""

import doctest
import importlib
import pathlib
import re

import pytest
from click.testing import CliRunner

import numsim
from experiments.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_formats_command_lists_every_registered_format():
    result = CliRunner().invoke(main, ["formats"])
    assert result.exit_code == 0, result.output
    scalar_table, block_table = result.output.split("\n\n")
    lines = scalar_table.splitlines()
    assert lines[0].split()[:3] == ["name", "bits", "E/M"]
    names = {line.split()[0] for line in lines[2:]}
    assert names == set(numsim.registered_formats())
    block_lines = block_table.splitlines()
    assert {line.split()[0] for line in block_lines[2:]} == set(numsim.registered_block_formats())
    mxfp4 = next(line for line in block_lines if line.startswith("mxfp4 "))
    assert mxfp4.split() == ["mxfp4", "float4_e2m1fn", "32", "float8_e8m0fnu", "floor", "-", "4.25"]
    e4m3 = next(line for line in lines if line.startswith("float8_e4m3fn "))
    assert e4m3.split()[:6] == ["float8_e4m3fn", "8", "4/3", "7", "448", "0.015625"]


def test_formats_command_filters_and_aliases():
    result = CliRunner().invoke(main, ["formats", "--family", "int", "--aliases"])
    assert result.exit_code == 0
    assert "int8" in result.output and "bfloat16 " not in result.output and "bf16" in result.output
    assert "mxfp4" not in result.output
    blocks = CliRunner().invoke(main, ["formats", "--family", "block"]).output
    assert "nvfp4" in blocks and "float8_e4m3fn" in blocks and "uint8" not in blocks
    assert CliRunner().invoke(main, ["formats", "--family", "complex"]).exit_code != 0


def test_version():
    assert numsim.__version__ in CliRunner().invoke(main, ["--version"]).output


def _quickstart_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_readme_quickstart_has_exactly_two_commands_and_ci_runs_the_test_one():
    commands = _quickstart_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "numsim" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_examples():
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


def _modules() -> list[str]:
    """Every module of the three packages (new modules get their examples run without a list)."""
    names = []
    for package in ("numsim", "hwmodels", "experiments"):
        names.append(package)
        root = ROOT / package
        names += sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in root.rglob("*.py") if p.name != "__init__.py")
    return names


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
