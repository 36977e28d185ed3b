from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from printers.cli import add_print_commands, run
from printers.documents import render_document
from printers.samples import sample_slip
from tests.printers.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shubbak")
    add_print_commands(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.mark.parametrize("kind", ["ticket", "receipt", "slip", "dayclose"])
def test_print_sample_on_a_virtual_printer(
    kind: str, virtual_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args(
        [
            "print",
            "sample",
            "--kind",
            kind,
            "--printer",
            f"virtual://{virtual_dir}",
            "--width",
            "384",
            "--lang",
            "en",
        ]
    )
    assert args.func is run
    assert run(args) == 0
    (png,) = virtual_dir.glob("*.png")
    with Image.open(png) as image:
        assert image.width == 384
    assert "printed" in capsys.readouterr().out


def test_slip_sample_matches_the_layout(virtual_dir: Path) -> None:
    args = _parser().parse_args(
        ["print", "sample", "--kind", "slip", "--printer", f"virtual://{virtual_dir}"]
    )
    assert run(args) == 0
    (png,) = virtual_dir.glob("*.png")
    with Image.open(png) as image:
        assert image.convert("1").tobytes() == render_document("slip", sample_slip(), 576, "ar").tobytes()


def test_offline_printer_exit_code_and_bilingual_message(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["print", "sample", "--printer", f"tcp://127.0.0.1:{free_port()}"])
    assert run(args) == 1
    err = capsys.readouterr().err
    assert "الطابعة غير متصلة" in err and "The printer is offline" in err


def test_bad_url_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["print", "sample", "--printer", "lpt://1"])
    assert run(args) == 1
    assert "configuration" in capsys.readouterr().err


def test_python_dash_m_printers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "printers", "sample", "--kind", "receipt", "--printer", f"virtual://{out}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.bin"))) == 1 and len(list(out.glob("*.png"))) == 1
