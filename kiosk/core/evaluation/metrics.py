"""Face-verification benchmarks: LFW pair files in, accuracy / ROC / EER out.

Qt-free and model-free: the caller turns a pair of image paths into a ``distance`` (L2
between unit embeddings, lower is closer); everything here works on those distances.

Conventions for every metric below:

- ``distances`` is float of shape ``(n,)``, ``same`` is bool of shape ``(n,)``.
- A pair is *accepted* (called "same person") when ``distance <= threshold``.
- A distance of ``+inf`` means "no face was found in one of the two images". Such a pair is
  never accepted, at any threshold: a kiosk that sees no face does not open the door. So it
  counts as an error on a same-person pair and as a correct rejection on a different pair.
- Thresholds returned are always finite.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from kiosk.core.base.errors import KioskError

log = logging.getLogger(__name__)

LFW_FAR = 1e-3
POLICY_NO_FACE = "reject: a pair with no face found in one or both images counts as 'not same'"


# --- pair files ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """Two LFW images, as paths relative to the image root (``Name/Name_0001.jpg``)."""

    path_a: str
    path_b: str
    same: bool
    fold: int  # 0-based; always 0 in a View 1 file


@dataclass(frozen=True)
class PairSet:
    pairs: tuple[Pair, ...]
    n_folds: int

    def __len__(self) -> int:
        return len(self.pairs)

    @property
    def same(self) -> np.ndarray:
        """bool, shape (n,): True for a same-person pair."""
        return np.array([p.same for p in self.pairs], dtype=bool)

    @property
    def folds(self) -> np.ndarray:
        """int, shape (n,): the fold index of each pair."""
        return np.array([p.fold for p in self.pairs], dtype=np.int64)

    def unique_paths(self) -> list[str]:
        """Every image used, once, in first-use order (pairs share images: embed each once)."""
        return list(dict.fromkeys(path for p in self.pairs for path in (p.path_a, p.path_b)))


def read_pairs(path: Path) -> PairSet:
    """Read an LFW pair list: View 1 (header ``N``) or View 2 (header ``folds<TAB>N``).

    Each fold holds N same-person lines ``name i j`` followed by N different-person lines
    ``name1 i name2 j``. Raises KioskError naming the file and line of the first problem.
    """
    path = Path(path)
    lines = _numbered_lines(path)
    if not lines:
        raise KioskError(f"{path.name}: empty pairs file")
    n_folds, per_class = _parse_header(path, *lines[0])
    body = lines[1:]
    expected = n_folds * 2 * per_class
    if len(body) != expected:
        raise KioskError(f"{path.name}: the header promises {expected} pair lines "
                         f"({n_folds} fold(s) x 2 x {per_class}), found {len(body)}")
    pairs = tuple(_parse_pair(path, lineno, text, fold=i // (2 * per_class),
                              same=i % (2 * per_class) < per_class)
                  for i, (lineno, text) in enumerate(body))
    log.debug("read %d pairs in %d fold(s) from %s", len(pairs), n_folds, path)
    return PairSet(pairs=pairs, n_folds=n_folds)


def _numbered_lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KioskError(f"cannot read pairs file {path}: {exc}") from exc
    return [(i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _parse_header(path: Path, lineno: int, text: str) -> tuple[int, int]:
    """``N`` -> (1, N); ``folds N`` -> (folds, N)."""
    fields = text.split()
    numbers = [_positive_int(path, lineno, field) for field in fields]
    if len(numbers) == 1:
        return 1, numbers[0]
    if len(numbers) == 2:
        return numbers[0], numbers[1]
    raise KioskError(f"{path.name}, line {lineno}: expected a header 'N' or 'folds<TAB>N', "
                     f"got {text!r}")


def _parse_pair(path: Path, lineno: int, text: str, fold: int, same: bool) -> Pair:
    fields = text.split()  # names never contain whitespace (they use underscores)
    if same and len(fields) == 3:
        name_a, name_b, i, j = fields[0], fields[0], fields[1], fields[2]
    elif not same and len(fields) == 4:
        name_a, i, name_b, j = fields
    else:
        shape = "name<TAB>i<TAB>j" if same else "name1<TAB>i<TAB>name2<TAB>j"
        kind = "same-person" if same else "different-person"
        raise KioskError(f"{path.name}, line {lineno}: expected a {kind} pair '{shape}', "
                         f"got {text!r}")
    path_a = _image_path(name_a, _positive_int(path, lineno, i))
    path_b = _image_path(name_b, _positive_int(path, lineno, j))
    return Pair(path_a=path_a, path_b=path_b, same=same, fold=fold)


def _positive_int(path: Path, lineno: int, field: str) -> int:
    if not field.isdigit() or int(field) < 1:
        raise KioskError(f"{path.name}, line {lineno}: expected a positive whole number, "
                         f"got {field!r}")
    return int(field)


def _image_path(name: str, number: int) -> str:
    """LFW numbers images from 1, zero-padded to 4 digits."""
    return f"{name}/{name}_{number:04d}.jpg"


def pair_distances(pairset: PairSet, embedding_of: Mapping[str, np.ndarray | None]) -> np.ndarray:
    """L2 distance per pair, float64 shape (n,); +inf where either embedding is None.

    ``embedding_of`` maps each of ``pairset.unique_paths()`` to a (dim,) unit vector, or to
    None when no face was found in that image.
    """
    return np.array([_l2_or_inf(embedding_of[p.path_a], embedding_of[p.path_b])
                     for p in pairset.pairs], dtype=np.float64)


def _l2_or_inf(a: np.ndarray | None, b: np.ndarray | None) -> float:
    if a is None or b is None:
        return float("inf")
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


# --- metrics on distances -----------------------------------------------------------------
def _checked(distances: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    if d.ndim != 1 or d.shape != s.shape:
        raise ValueError(f"distances {d.shape} and same {s.shape} must be matching (n,) arrays")
    if np.isnan(d).any():
        raise ValueError("distances contain NaN; use +inf for 'no face found'")
    return d, s


def accuracy_at(distances: np.ndarray, same: np.ndarray, threshold: float) -> float:
    """Fraction of pairs decided correctly when accepting ``distance <= threshold``."""
    d, s = _checked(distances, same)
    accepted = np.isfinite(d) & (d <= threshold)
    return float(np.mean(accepted == s))


def _operating_points(d: np.ndarray,
                      s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct decision on this data, from "accept none" to "accept every finite one".

    Returns (values, accepted_pos, accepted_neg), each of shape (m + 1,) for m distinct
    finite distances: ``values[0]`` is just below the smallest distance (accepts nothing),
    ``values[k]`` is the k-th distinct distance, accepting every pair up to and including it.
    """
    order = np.argsort(d, kind="stable")
    d_sorted, s_sorted = d[order], s[order]
    cum_pos = np.concatenate([[0], np.cumsum(s_sorted)])
    cum_neg = np.concatenate([[0], np.cumsum(~s_sorted)])
    finite = np.unique(d[np.isfinite(d)])
    n_accepted = np.concatenate([[0], np.searchsorted(d_sorted, finite, side="right")])
    below = np.nextafter(finite[0], -np.inf) if finite.size else 0.0
    values = np.concatenate([[below], finite])
    return values, cum_pos[n_accepted], cum_neg[n_accepted]


def best_threshold(distances: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy; O(n log n).

    Candidates are the midpoints between consecutive distinct distances (plus "accept none"
    and "accept all finite"). Among equally good thresholds the smallest wins: it accepts
    fewest strangers.
    """
    d, s = _checked(distances, same)
    values, acc_pos, acc_neg = _operating_points(d, s)
    correct = acc_pos + (np.count_nonzero(~s) - acc_neg)
    midpoints = np.concatenate([[values[0]], (values[1:-1] + values[2:]) / 2, values[-1:]])
    best = int(np.argmax(correct))
    return float(midpoints[best]), float(correct[best] / d.size)


def roc(distances: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(far, tar, thresholds), each float64 of shape (m + 1,), thresholds ascending.

    ``thresholds[0]`` accepts nothing (far = tar = 0); ``thresholds[k]`` is a distance that
    occurs in the data, accepting all pairs up to and including it. FAR and TAR never
    decrease. TAR may stay below 1 at the end: no-face (+inf) pairs are never accepted.
    """
    d, s = _checked(distances, same)
    n_pos, n_neg = np.count_nonzero(s), np.count_nonzero(~s)
    if n_pos == 0 or n_neg == 0:
        raise ValueError("a ROC needs both same-person and different-person pairs")
    values, acc_pos, acc_neg = _operating_points(d, s)
    return acc_neg / n_neg, acc_pos / n_pos, values


def tar_at_far(distances: np.ndarray, same: np.ndarray, far_target: float = LFW_FAR) -> float:
    """The highest true-accept rate whose false-accept rate is <= ``far_target``.

    With few different-person pairs (fewer than 1 / far_target, e.g. 3000 in LFW View 2
    at 1e-3) no false accept at all is allowed, so this is the share of same-person pairs
    closer than the closest different-person pair: a noisy, pessimistic figure.
    """
    far, tar, _ = roc(distances, same)
    return float(tar[far <= far_target].max())


def threshold_at_far(distances: np.ndarray, same: np.ndarray, far_target: float) -> float:
    """The threshold of ``tar_at_far``, for calibrating a default at a stated FAR.

    It is a distance that occurs in the data (a same-person pair's, unless nothing can be
    accepted), and the smallest threshold reaching that TAR, so it accepts fewest strangers.
    """
    far, tar, thresholds = roc(distances, same)
    allowed = np.flatnonzero(far <= far_target)
    return float(thresholds[allowed[np.argmax(tar[allowed])]])


def eer(distances: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(equal error rate, threshold) where FAR = FRR, linearly interpolated on the ROC.

    If FRR never comes down to FAR (many no-face same-person pairs), returns the final FRR,
    which is then the lowest max(FAR, FRR) any threshold reaches, with the last threshold.
    """
    far, tar, thresholds = roc(distances, same)
    frr = 1.0 - tar
    crossed = np.flatnonzero(far >= frr)
    if crossed.size == 0:
        return float(frr[-1]), float(thresholds[-1])
    i = int(crossed[0])  # >= 1: "accept none" has FAR 0 < FRR 1
    gap_before, gap_at = far[i - 1] - frr[i - 1], far[i] - frr[i]
    t = float(-gap_before / (gap_at - gap_before))  # in (0, 1]
    rate = far[i - 1] + t * (far[i] - far[i - 1])
    return float(rate), float(thresholds[i - 1] + t * (thresholds[i] - thresholds[i - 1]))


def folds_for(n: int, k: int = 10) -> np.ndarray:
    """int, shape (n,): k interleaved folds (pair i -> fold i % k), mixing both classes."""
    return np.arange(n) % k


def kfold_accuracy(distances: np.ndarray, same: np.ndarray,
                   folds: np.ndarray) -> tuple[float, float, np.ndarray]:
    """LFW protocol: (mean accuracy, std, thresholds per fold of shape (k,)).

    Each fold is scored with the best threshold of the *other* folds, never its own.
    ``folds`` is int of shape (n,); std is the population std (ddof=0) as LFW papers report.
    """
    d, s = _checked(distances, same)
    folds = np.asarray(folds)
    if folds.shape != d.shape or np.unique(folds).size < 2:
        raise ValueError("k-fold accuracy needs (n,) fold ids with at least 2 folds")
    accuracies, thresholds = [], []
    for fold in np.unique(folds):
        held_out = folds == fold
        threshold, _ = best_threshold(d[~held_out], s[~held_out])
        thresholds.append(threshold)
        accuracies.append(accuracy_at(d[held_out], s[held_out], threshold))
    return float(np.mean(accuracies)), float(np.std(accuracies)), np.array(thresholds)


# --- the report ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationReport:
    """Every figure of one benchmark run. Rates are fractions in [0, 1]."""

    pairs: int
    no_face: int
    n_folds: int
    protocol: str
    accuracy: float
    accuracy_std: float | None  # None when there is a single fold (no spread to report)
    threshold: float  # best threshold, or the median of the per-fold thresholds
    default_threshold: float
    accuracy_at_default: float
    tar_at_far_1e3: float
    eer: float
    eer_threshold: float
    far_target: float
    tar_at_far_target: float
    threshold_at_far_target: float
    policy_no_face: str = POLICY_NO_FACE

    def to_json_dict(self) -> dict[str, object]:
        """Plain JSON types; ``accuracy_std`` is null for a single fold."""
        out = asdict(self)
        out["tar_at_far_1e-3"] = out.pop("tar_at_far_1e3")
        return out


def evaluate(pairset: PairSet, distance_fn: Callable[[Pair], float | None],
             default_threshold: float, *, far_target: float = LFW_FAR,
             k_folds: int | None = None) -> EvaluationReport:
    """Score ``distance_fn(pair) -> distance`` (None = no face found) on every pair.

    Prefer ``pair_distances`` + ``evaluate_distances`` to embed each image only once.
    """
    distances = np.array([_inf_if_none(distance_fn(pair)) for pair in pairset.pairs],
                         dtype=np.float64)
    return evaluate_distances(pairset, distances, default_threshold,
                              far_target=far_target, k_folds=k_folds)


def _inf_if_none(distance: float | None) -> float:
    return float("inf") if distance is None else float(distance)


def evaluate_distances(pairset: PairSet, distances: np.ndarray, default_threshold: float, *,
                       far_target: float = LFW_FAR,
                       k_folds: int | None = None) -> EvaluationReport:
    """The report for precomputed distances, float shape (n,), +inf = no face found.

    A file with several folds (View 2) uses its own folds. A single-fold file (View 1) is
    split into ``k_folds`` interleaved folds when given, otherwise reports the best-threshold
    accuracy on all pairs (optimistic: the threshold is chosen on the pairs it is scored on).
    """
    d, s = _checked(distances, pairset.same)
    no_face = int(np.count_nonzero(np.isinf(d)))
    if no_face:
        log.info("%d of %d pairs had no face in an image; counted as 'not same'", no_face, d.size)
    accuracy, std, threshold, n_folds, protocol = _protocol_accuracy(pairset, d, s, k_folds)
    eer_rate, eer_threshold = eer(d, s)
    return EvaluationReport(
        pairs=int(d.size), no_face=no_face, n_folds=n_folds, protocol=protocol,
        accuracy=accuracy, accuracy_std=std, threshold=threshold,
        default_threshold=float(default_threshold),
        accuracy_at_default=accuracy_at(d, s, default_threshold),
        tar_at_far_1e3=tar_at_far(d, s, LFW_FAR), eer=eer_rate, eer_threshold=eer_threshold,
        far_target=float(far_target), tar_at_far_target=tar_at_far(d, s, far_target),
        threshold_at_far_target=threshold_at_far(d, s, far_target))


def _protocol_accuracy(pairset: PairSet, d: np.ndarray, s: np.ndarray, k_folds: int | None):
    """(accuracy, std or None, threshold, n_folds, protocol description)."""
    if pairset.n_folds > 1:
        folds, protocol = pairset.folds, f"{pairset.n_folds}-fold cross-validation"
    elif k_folds is not None and k_folds > 1:
        folds, protocol = folds_for(d.size, k_folds), f"{k_folds} interleaved folds"
    else:
        threshold, accuracy = best_threshold(d, s)
        return accuracy, None, threshold, 1, "best threshold on all pairs (optimistic)"
    mean, std, thresholds = kfold_accuracy(d, s, folds)
    return mean, std, float(np.median(thresholds)), int(np.unique(folds).size), protocol


# --- plot ---------------------------------------------------------------------------------
def plot_roc(far: np.ndarray, tar: np.ndarray, path: Path, *, label: str = "model",
             extra_curves: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
             title: str = "ROC") -> Path:
    """Write a PNG of TAR against FAR (log axis). ``extra_curves`` maps label -> (far, tar).

    FAR = 0 cannot sit on a log axis, so it is drawn at half the smallest non-zero FAR.
    """
    # A bare Figure renders through Agg without pyplot: no global backend switch, so this is
    # safe inside the Qt process and off the GUI thread. Imported lazily to keep startup fast.
    from matplotlib.figure import Figure

    curves = {label: (far, tar), **(extra_curves or {})}
    floor = _far_floor([np.asarray(f) for f, _ in curves.values()])
    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    ax = fig.add_subplot()
    for name, (curve_far, curve_tar) in curves.items():
        ax.plot(np.maximum(np.asarray(curve_far), floor), np.asarray(curve_tar), label=name)
    _style_roc_axes(ax, floor, title)
    return _save_png(fig, Path(path))


def _far_floor(fars: Sequence[np.ndarray]) -> float:
    positive = np.concatenate([f[f > 0] for f in fars])
    return float(positive.min() / 2) if positive.size else 1e-4


def _style_roc_axes(ax, floor: float, title: str) -> None:
    ax.set_xscale("log")
    ax.set_xlim(floor, 1.0)
    ax.set_ylim(0.0, 1.01)
    ax.set_xlabel("false accept rate (log scale)")
    ax.set_ylabel("true accept rate")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")


def _save_png(fig, path: Path) -> Path:
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise KioskError(f"cannot write the ROC plot to {path}: {exc}") from exc
    log.info("wrote ROC plot to %s", path)
    return path
