"""`kiosk evaluate-pad`: how well the kiosk tells live people from photos and screens.

ISO/IEC 30107-3 vocabulary: APCER = attack presentations accepted as live; BPCER = bona fide
(live) presentations refused. Each image's largest face is scored by the passive check; an
image with no face is counted apart (`no_face`): a kiosk that sees no face opens no door.
Rates are per image; folders of frames from one video are not independent samples.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import IMAGE_SUFFIXES, read_image_rgb
from kiosk.core.base.vocabulary import SecurityLevel

Progress = Callable[[Sequence[Path]], Iterable[Path]]


@dataclass(frozen=True)
class Scored:
    path: Path
    group: str  # "live/<sub-folder>" or "attack/<sub-folder>"
    attack: bool
    score: float | None  # None: no face found


@dataclass
class PadRun:
    """Every figure of one run; rates are fractions in [0, 1] (None when nothing to count)."""

    level: str
    threshold: float
    images: int
    no_face: dict[str, int]
    apcer: float | None
    bpcer: float | None
    threshold_bpcer_5: float | None
    threshold_bpcer_1: float | None
    apcer_at_bpcer_5: float | None
    apcer_at_bpcer_1: float | None
    per_folder: dict[str, dict] = field(default_factory=dict)
    plot: str | None = None

    def to_json_dict(self) -> dict:
        return asdict(self)


def image_files(folder: Path) -> list[Path]:
    """Every photo under ``folder`` (recursively), sorted; KioskError when there is none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise KioskError(f"{folder}: not a folder")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise KioskError(f"{folder}: no photos in it ({', '.join(IMAGE_SUFFIXES)})")
    return files


def score_folder(engine, liveness, folder: Path, attack: bool, progress: Progress = iter) -> list[Scored]:
    """The largest face of every photo under ``folder``, scored (None where no face)."""
    label = "attack" if attack else "live"
    out = []
    for path in progress(image_files(folder)):
        image_rgb = read_image_rgb(path)
        faces = engine.detect(image_rgb)
        score = liveness.live_score(image_rgb, faces[0].box_xywh) if faces else None
        sub = path.parent.relative_to(folder).as_posix()
        out.append(Scored(path, f"{label}/{'' if sub == '.' else sub}".rstrip("/"), attack, score))
    return out


def accepted(scores: np.ndarray, threshold: float, level: SecurityLevel) -> np.ndarray:
    """Which scores the level lets through (``off`` lets every face through)."""
    return np.ones(len(scores), bool) if level == SecurityLevel.OFF else scores >= threshold


def threshold_for_bpcer(live: np.ndarray, target: float) -> float | None:
    """The highest threshold whose BPCER on ``live`` scores stays <= ``target``."""
    if not len(live):
        return None
    ordered = np.sort(live)
    return float(ordered[int(math.floor(target * len(ordered)))])


def evaluate_pad(engine, liveness, live_dir: Path, attack_dir: Path, threshold: float,
                 level: str = SecurityLevel.PASSIVE, plot: Path | None = None,
                 progress: Progress = iter) -> PadRun:
    """APCER and BPCER of ``level`` at ``threshold`` on two folders of photos."""
    level = SecurityLevel(level)
    scored = (score_folder(engine, liveness, Path(live_dir), False, progress)
              + score_folder(engine, liveness, Path(attack_dir), True, progress))
    found = [s for s in scored if s.score is not None]
    live = np.array([s.score for s in found if not s.attack])
    attack = np.array([s.score for s in found if s.attack])
    t5, t1 = threshold_for_bpcer(live, 0.05), threshold_for_bpcer(live, 0.01)
    run = PadRun(str(level), threshold, len(scored), _no_face(scored),
                 _rate(accepted(attack, threshold, level)), _rate(~accepted(live, threshold, level)),
                 t5, t1, _apcer_at(attack, t5), _apcer_at(attack, t1),
                 _per_folder(found, scored, threshold, level))
    if plot is not None:
        run.plot = str(plot_det(live, attack, Path(plot), threshold))
    return run


def _rate(flags: np.ndarray) -> float | None:
    return float(np.mean(flags)) if len(flags) else None


def _apcer_at(attack: np.ndarray, threshold: float | None) -> float | None:
    return None if threshold is None or not len(attack) else float(np.mean(attack >= threshold))


def _no_face(scored: list[Scored]) -> dict[str, int]:
    return {"live": sum(s.score is None for s in scored if not s.attack),
            "attack": sum(s.score is None for s in scored if s.attack)}


def _per_folder(found: list[Scored], scored: list[Scored], threshold: float,
                level: SecurityLevel) -> dict[str, dict]:
    out = {}
    for group in sorted({s.group for s in scored}):
        scores = np.array([s.score for s in found if s.group == group])
        attack = group.startswith("attack")
        passed = accepted(scores, threshold, level)
        out[group] = {"images": sum(s.group == group for s in scored),
                      "no_face": sum(s.group == group and s.score is None for s in scored),
                      ("apcer" if attack else "bpcer"): _rate(passed if attack else ~passed)}
    return out


def plot_det(live: np.ndarray, attack: np.ndarray, path: Path, threshold: float) -> Path:
    """A DET-style curve: APCER against BPCER over every threshold, the chosen one marked."""
    from matplotlib.figure import Figure

    grid = np.unique(np.concatenate([live, attack, [0.0, 1.0]]))
    bpcer = np.array([np.mean(live < t) for t in grid])
    apcer = np.array([np.mean(attack >= t) for t in grid])
    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    ax = fig.add_subplot()
    ax.plot(bpcer * 100, apcer * 100, label="passive check")
    ax.plot([np.mean(live < threshold) * 100], [np.mean(attack >= threshold) * 100], "o",
            label=f"threshold {threshold:g}")
    ax.set_xlabel("BPCER: live people refused (%)")
    ax.set_ylabel("APCER: attacks accepted (%)")
    ax.set_title("Presentation-attack detection (DET)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise KioskError(f"cannot write the DET plot to {path}: {exc}") from exc
    return path
