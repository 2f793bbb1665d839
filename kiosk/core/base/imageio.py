"""Reading image files into RGB uint8 arrays, with a clear error for everything else.

Pillow decodes (it reports truncated JPEGs instead of silently returning grey, unlike
``cv2.imread``), EXIF orientation is applied as a phone intended, and every mode ends up as
RGB uint8 (H, W, 3): greyscale is replicated, alpha dropped, 16-bit scaled down to 8 bits.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from kiosk.core.base.errors import ImageError

# The photo files every part of the program takes (enrol, enroll-dir, folders as a camera).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
MAX_PIXELS = 40_000_000  # 40 MP: larger files are refused before decoding (memory, speed)


def _open(path: Path):
    from PIL import Image, UnidentifiedImageError

    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file (or a format this program cannot read)") from None
    except OSError as exc:  # e.g. a JPEG cut off inside its header
        raise ImageError(f"{path}: the image data is damaged or truncated ({exc})") from exc
    return image


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: the image is {width}x{height} ({width * height / 1e6:.0f} MP); "
                         f"the limit is {MAX_PIXELS / 1e6:.0f} MP — please resize it")
    if min(width, height) < 1:
        raise ImageError(f"{path}: the image is empty")


def _to_rgb_array(image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16/32-bit greyscale: keep the top 8 bits
        wide = np.asarray(image, dtype=np.uint32)
        shift = 8 if wide.max(initial=0) > 255 else 0
        grey = (wide >> shift).clip(0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def read_image_rgb(path: str | os.PathLike) -> np.ndarray:
    """RGB uint8 array (H, W, 3) of an image file, or ImageError saying what is wrong."""
    from PIL import ImageOps

    path = Path(path)
    image = _open(path)
    with image:
        _check_size(path, *image.size)
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
            return np.ascontiguousarray(_to_rgb_array(image))
        except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
            raise ImageError(f"{path}: the image data is damaged or truncated ({exc})") from exc


def bgr_to_rgb(frame_bgr: np.ndarray) -> np.ndarray:
    """The one colour conversion of a camera frame (OpenCV delivers BGR)."""
    return np.ascontiguousarray(frame_bgr[:, :, ::-1])


def course_pixels(path: str | os.PathLike) -> np.ndarray:
    """(1, 160, 160, 3) float64 in [0, 1]: the course's whole-image preprocessing, i.e. what
    ``keras.preprocessing.image.load_img(path, target_size=(160, 160))`` then ``/ 255`` gives
    (PIL nearest-neighbour resize, RGB). Not the product's pipeline (that crops the face)."""
    from PIL import Image

    resized = Image.fromarray(read_image_rgb(path)).resize((160, 160), Image.NEAREST)
    return np.around(np.asarray(resized, dtype=np.float64) / 255.0, decimals=12)[None]
