"""`kiosk evaluate-detector`: how many false faces the kiosk's detector finds, by ONet score
threshold and smallest face size, so that anyone can check the defaults in
`kiosk.core.base.specs` on their own pictures.

* Face-free pictures: every picture is cut into 640x480 camera-sized frames
  (`detection.frames_640x480`); every face found in them is false. The detector runs once per
  smallest face size, with a low ONet threshold; each higher threshold is then counted exactly
  (`detection.false_face_table`).
* LFW (``<Name>/<Name>_NNNN.jpg``): each image's subject is the large central face
  (`lfw.subject_face`) among the detections above the lowest threshold asked; the other
  detections are counted per image (mostly real faces behind the subject, some false), and the
  images whose subject falls below a threshold or size are counted apart. One run at the
  smallest size, counted by size afterwards, as the study behind the defaults did.

The detector is the kiosk's own MTCNN on LiteRT, loaded as the program loads it. Images are
read as the program reads photos (`imageio.read_image_rgb`); unreadable ones are named, not
fatal. Nothing here prints.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from kiosk.core.base.errors import ImageError, KioskError
from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.base.specs import DEFAULT_DETECTOR
from kiosk.core.base.types import Face
from kiosk.core.evaluation.detection import false_face_table, frames_640x480
from kiosk.core.evaluation.lfw import subject_face

FACE_FREE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
LOWEST_ONET = 0.5  # the detector's own ONet threshold: below every threshold counted
SMALLEST_FACE_PX = 12  # MTCNN's PNet window
DEFAULT_THRESHOLDS = (0.8, 0.9, 0.95)
DEFAULT_MIN_SIZES = (20, 40)
EXAMPLES_KEPT = 20

Progress = Callable[[Sequence[Path]], Iterable[Path]]  # wraps a list of images (a progress bar)


def no_progress(desc: str) -> Progress:
    return iter


@dataclass(frozen=True)
class Defaults:
    """The kiosk's detector defaults (`specs.DEFAULT_DETECTOR`): ONet score and smallest face."""

    live_threshold: float = DEFAULT_DETECTOR.live_min_score
    live_min_face_px: int = DEFAULT_DETECTOR.live_min_face_px
    photo_threshold: float = DEFAULT_DETECTOR.thresholds[2]
    photo_min_face_px: int = DEFAULT_DETECTOR.min_face_px

    def label(self, threshold: float, min_face_px: int) -> str | None:
        """"live", "photo", "live, photo" or None: which defaults this setting is."""
        names = [name for name, t, px in (("live", self.live_threshold, self.live_min_face_px),
                                          ("photo", self.photo_threshold, self.photo_min_face_px))
                 if abs(threshold - t) < 1e-9 and min_face_px == px]
        return ", ".join(names) or None


@dataclass
class DetectorRun:
    """Every figure of one run. ``face_free`` rows: threshold, min_face_px,
    false_faces_per_frame, false_faces, frames_with_any, frames, pictures. ``lfw`` rows:
    threshold, min_face_px, extra_per_image, extra, images, no_subject. ``examples``: the
    highest-scored false faces (picture#frame, box x, y, w, h, score), for a look by eye."""

    thresholds: list[float]
    min_sizes: list[int]
    face_free: list[dict]
    lfw: list[dict]
    defaults: Defaults
    pictures: int = 0
    frames: int = 0
    lfw_images: int = 0
    unreadable: list[str] = field(default_factory=list)  # "path: what is wrong"
    examples: list[tuple] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return asdict(self)


def check_settings(thresholds: Sequence[float], min_sizes: Sequence[int]) -> None:
    """KioskError unless the thresholds lie in [0.5, 1) and the sizes are >= 12 px."""
    if not thresholds or not all(LOWEST_ONET <= t < 1.0 for t in thresholds):
        raise KioskError(f"thresholds must be ONet scores in [{LOWEST_ONET}, 1), got {list(thresholds)}")
    if not min_sizes or not all(s >= SMALLEST_FACE_PX for s in min_sizes):
        raise KioskError(f"minimum face sizes must be >= {SMALLEST_FACE_PX} px, got {list(min_sizes)}")


def face_free_files(folders: Sequence[Path]) -> list[Path]:
    """Every picture under the folders (recursively), sorted, each file once (Debian's
    wallpapers link every screen size to one image); KioskError for a missing folder or when
    there is no picture at all."""
    files: dict[Path, Path] = {}  # the file itself -> its own path, else the first link to it
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise KioskError(f"{folder}: not a folder")
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in FACE_FREE_SUFFIXES:
                if path.is_symlink():
                    files.setdefault(path.resolve(), path)
                else:  # named by its own path rather than a link's
                    files[path.resolve()] = path
    if not files:
        raise KioskError(f"no pictures ({', '.join(FACE_FREE_SUFFIXES)}) in {', '.join(map(str, folders))}")
    return list(files.values())


def lfw_files(root: Path) -> list[Path]:
    """``root/<Name>/<Name>_NNNN.jpg``, sorted; KioskError when the folder or images are missing."""
    root = Path(root)
    if not root.is_dir():
        raise KioskError(f"{root}: not a folder")
    files = sorted(root.glob("*/*.jpg"))
    if not files:
        raise KioskError(f"{root}: no LFW images in it (<Name>/<Name>_NNNN.jpg)")
    return files


def low_threshold_detector(weights_dir: Path, min_face_px: int):
    """The kiosk's LiteRT MTCNN (PNet and RNet as shipped), keeping ONet scores above 0.5."""
    from kiosk.core.base.vocabulary import Runtime
    from kiosk.core.vision.loader import load_detector

    spec = replace(DEFAULT_DETECTOR, thresholds=(*DEFAULT_DETECTOR.thresholds[:2], LOWEST_ONET))
    return load_detector(weights_dir, Runtime.LITERT_INT8.value, min_face_px, spec=spec)


def _readable(paths: Iterable[Path], unreadable: list[str]):
    """(path, RGB image) for each file that reads; the others appended to ``unreadable``."""
    for path in paths:
        try:
            yield path, read_image_rgb(path)
        except ImageError as exc:
            unreadable.append(str(exc))


@dataclass
class _FaceFree:
    faces_by_size: dict[int, list[list[Face]]]
    names: list[str] = field(default_factory=list)  # "picture#frame", one per frame
    pictures: int = 0


def detect_face_free(detector, files: Sequence[Path], min_sizes: Sequence[int],
                     unreadable: list[str], progress: Progress = iter) -> _FaceFree:
    """Every frame of every picture through the detector, once per smallest face size."""
    found = _FaceFree({size: [] for size in min_sizes})
    for path, image_rgb in _readable(progress(files), unreadable):
        found.pictures += 1
        for k, frame_rgb in enumerate(frames_640x480(image_rgb)):
            found.names.append(f"{path}#{k}")
            for size in min_sizes:
                found.faces_by_size[size].append(detector.detect(frame_rgb, min_face_px=size))
    return found


def face_free_rows(found: _FaceFree, thresholds: Sequence[float]) -> list[dict]:
    rows = []
    for size, faces in found.faces_by_size.items():
        for row in false_face_table(faces, thresholds, [size]):
            frames = len(faces)
            rows.append({"threshold": row["threshold"], "min_face_px": size,
                         "false_faces_per_frame": row["per_image"],
                         "false_faces": round(row["per_image"] * frames),
                         "frames_with_any": row["images_with_any"], "frames": frames,
                         "pictures": found.pictures})
    return rows


def face_free_examples(found: _FaceFree, floor: float) -> list[tuple]:
    """The highest-scored false faces above ``floor`` at the smallest size, best first."""
    smallest = min(found.faces_by_size)
    hits = [(name, tuple(round(v) for v in f.box_xywh), round(f.confidence, 4))
            for name, faces in zip(found.names, found.faces_by_size[smallest])
            for f in faces if f.confidence > floor]
    return sorted(hits, key=lambda hit: -hit[2])[:EXAMPLES_KEPT]


def detect_lfw(detector, files: Sequence[Path], min_face_px: int, floor: float,
               unreadable: list[str], progress: Progress = iter) -> list[tuple[Face | None, list[Face]]]:
    """(subject or None, the other detections) for each readable image."""
    out = []
    for _, image_rgb in _readable(progress(files), unreadable):
        faces = detector.detect(image_rgb, min_face_px=min_face_px)
        subject = subject_face([f for f in faces if f.confidence > floor], image_rgb.shape[1], image_rgb.shape[0])
        out.append((subject, [f for f in faces if f is not subject]))
    return out


def lfw_rows(found: Sequence[tuple[Face | None, list[Face]]], thresholds: Sequence[float],
             min_sizes: Sequence[int]) -> list[dict]:
    def missed(subject: Face | None, threshold: float, size: int) -> bool:
        return subject is None or subject.confidence <= threshold or subject.size_px < size

    images = len(found)
    rows = []
    for row in false_face_table([others for _, others in found], thresholds, min_sizes):
        threshold, size = row["threshold"], row["min_face_px"]
        rows.append({"threshold": threshold, "min_face_px": size, "extra_per_image": row["per_image"],
                     "extra": round(row["per_image"] * images), "images": images,
                     "no_subject": sum(missed(subject, threshold, size) for subject, _ in found)})
    return rows


def evaluate_detector(weights_dir: Path, face_free: Sequence[Path], lfw: Path | None = None,
                      thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                      min_sizes: Sequence[int] = DEFAULT_MIN_SIZES,
                      progress: Callable[[str], Progress] = no_progress) -> DetectorRun:
    """False faces on the face-free pictures (and extra detections on LFW), for every
    (threshold, smallest face size); KioskError for bad input, checked before any model loads.
    ``progress(desc)`` gives a wrapper of each list of images (a progress bar)."""
    thresholds, min_sizes = sorted(set(thresholds)), sorted(set(min_sizes))
    check_settings(thresholds, min_sizes)
    files = face_free_files(face_free)
    lfw_list = lfw_files(lfw) if lfw is not None else []
    detector = low_threshold_detector(weights_dir, min_sizes[0])
    run = DetectorRun(thresholds, min_sizes, [], [], Defaults())
    found = detect_face_free(detector, files, min_sizes, run.unreadable, progress("face-free"))
    if not found.pictures:
        raise KioskError(f"none of the {len(files)} pictures could be read ({run.unreadable[0]})")
    run.face_free, run.pictures, run.frames = face_free_rows(found, thresholds), found.pictures, len(found.names)
    run.examples = face_free_examples(found, thresholds[0])
    if lfw_list:
        subjects = detect_lfw(detector, lfw_list, min_sizes[0], thresholds[0], run.unreadable, progress("lfw"))
        run.lfw, run.lfw_images = lfw_rows(subjects, thresholds, min_sizes), len(subjects)
    return run
