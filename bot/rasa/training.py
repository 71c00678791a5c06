"""Train the Rasa model only when its inputs changed (bot layer): models are named by a fingerprint."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from services.paths import NLU_DIR, PROJECT_ROOT

RASA_VENV = PROJECT_ROOT / ".venv-rasa"
MODELS_DIR = NLU_DIR / "models"
# Everything whose change changes the trained model.
FINGERPRINT_INPUTS = (
    NLU_DIR / "config.yml",
    NLU_DIR / "domain",
    NLU_DIR / "data",
    NLU_DIR / "components",
    PROJECT_ROOT / "services" / "i18n" / "translit.py",
    PROJECT_ROOT / "requirements" / "rasa.lock",
)


KEEP_MODELS = 3


class TrainingError(RuntimeError):
    """`rasa train` failed; its output was shown."""


@dataclass(frozen=True)
class TrainedModel:
    """A model file and whether this call trained it."""

    path: Path
    trained_now: bool
    seconds: float


def _files(inputs: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files.extend(p for p in item.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif item.is_file():
            files.append(item)
    return sorted(files)


def model_fingerprint(inputs: tuple[Path, ...] = FINGERPRINT_INPUTS) -> str:
    """SHA-256 over the paths and contents of every training input, shortened to 16 hex digits."""
    digest = hashlib.sha256()
    for path in _files(inputs):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(fingerprint: str) -> Path:
    """Where the model for a fingerprint lives."""
    return MODELS_DIR / f"yoldosh-{fingerprint}.tar.gz"


def rasa_environment() -> dict[str, str]:
    """Environment for Rasa processes: no telemetry, project code importable, quiet TensorFlow."""
    environment = dict(os.environ)
    environment.update(
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(PROJECT_ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    return environment


def _keep_newest(count: int) -> None:
    models = sorted(MODELS_DIR.glob("yoldosh-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in models[count:]:
        stale.unlink()


def ensure_model(*, force: bool = False) -> TrainedModel:
    """The model for the current inputs, training it first when none exists (or when forced)."""
    fingerprint = model_fingerprint()
    target = model_path(fingerprint)
    if target.exists() and not force:
        return TrainedModel(path=target, trained_now=False, seconds=0.0)
    if not (RASA_VENV / "bin" / "rasa").exists():
        raise TrainingError(f"Rasa is not installed in {RASA_VENV}: run `make setup`")
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    print(f"==> Training the Rasa model {fingerprint} (about a minute; inputs changed)", file=sys.stderr)
    started = time.monotonic()
    command = [
        str(RASA_VENV / "bin" / "rasa"),
        "train",
        "--config",
        str(NLU_DIR / "config.yml"),
        "--domain",
        str(NLU_DIR / "domain"),
        "--data",
        str(NLU_DIR / "data"),
        "--out",
        str(MODELS_DIR),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(command, cwd=NLU_DIR, env=rasa_environment(), check=False)
    if result.returncode != 0 or not target.exists():
        raise TrainingError(f"rasa train failed with exit code {result.returncode}")
    _keep_newest(KEEP_MODELS)
    return TrainedModel(path=target, trained_now=True, seconds=time.monotonic() - started)
