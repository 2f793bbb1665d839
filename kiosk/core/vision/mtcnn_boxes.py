"""MTCNN's box arithmetic in numpy: proposals, NMS, regression, squaring, patches, landmarks.

A re-implementation of what ``mtcnn`` 1.0.0 does between its networks (its
``utils/bboxes.py``, ``utils/landmarks.py`` and ``tf.image.crop_and_resize``), vectorised
and without TensorFlow, so the LiteRT detector returns the TensorFlow path's boxes. Where
mtcnn differs from the MTCNN paper, this follows mtcnn (that is what "same answers" means):

* PNet's box regression is applied to every proposal at once, before any NMS;
* its NMS is not greedy: a box is dropped when *any* higher-scored box overlaps it by more
  than the threshold, even one that was itself dropped;
* widths and heights are ``x2 - x1 + 1`` in the regressions but ``x2 - x1`` in the IoU.

Rows are float64 arrays [x1, y1, x2, y2, score] (n, 5) in image pixels (mtcnn's rows have an
image index in front; one image at a time here, so it is left out), then with the ten
landmark values appended: (n, 15) = box, score, five x's, five y's.
"""
from __future__ import annotations

import numpy as np

PNET_STRIDE = 2  # PNet's output cells are 2 px apart in its input level
PNET_CELL_PX = 12  # and each looks at a 12x12 window
NMS_BLOCK = 1024  # IoU rows computed at a time: bounds memory for thousands of proposals


def proposals(offsets: np.ndarray, scores: np.ndarray, threshold: float, scale: float) -> np.ndarray:
    """PNet's maps of one level -> rows (n, 5) in image pixels, best score first.

    ``offsets``: (h, w, 4) box regression; ``scores``: (h, w) face probability; ``scale``:
    level side / image side. Each cell scoring above ``threshold`` is its window moved by the
    regression (in window units), then divided by the scale.
    """
    ys, xs = np.nonzero(scores > threshold)  # row-major, as np.where in mtcnn
    reg = offsets[ys, xs].astype(np.float64)
    # mtcnn's window runs from pixel 1 to 12 of the cell (11 px wide), not 0 to 12
    left, top = xs * PNET_STRIDE + 1, ys * PNET_STRIDE + 1
    right, bottom = xs * PNET_STRIDE + PNET_CELL_PX, ys * PNET_STRIDE + PNET_CELL_PX
    side = PNET_CELL_PX - 1
    rows = np.stack([left + reg[:, 0] * side, top + reg[:, 1] * side,
                     right + reg[:, 2] * side, bottom + reg[:, 3] * side], axis=1) / scale
    return by_score(np.concatenate([rows, scores[ys, xs, None].astype(np.float64)], axis=1))


def by_score(rows: np.ndarray) -> np.ndarray:
    """Rows sorted by score (column 4), highest first, in mtcnn's order for ties."""
    return rows[np.argsort(rows[:, 4])[::-1]]


def nms(rows: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """The rows (sorted by score) that no higher-scored row overlaps by more than ``threshold``.

    Overlap is intersection over union, or over the smaller box (``method="min"``).
    """
    if len(rows) < 2:
        return rows
    x1, y1, x2, y2 = (rows[:, i] for i in range(4))
    area = (x2 - x1) * (y2 - y1)
    keep = np.ones(len(rows), bool)
    for start in range(0, len(rows), NMS_BLOCK):  # block i of earlier rows against all later
        i = slice(start, start + NMS_BLOCK)
        inter_w = np.maximum(0.0, np.minimum(x2[i, None], x2) - np.maximum(x1[i, None], x1))
        inter_h = np.maximum(0.0, np.minimum(y2[i, None], y2) - np.maximum(y1[i, None], y1))
        inter = inter_w * inter_h
        if method == "min":
            overlap = inter / np.minimum(area[i, None], area)
        else:
            overlap = inter / (area[i, None] + area - inter)
        later = np.arange(len(rows)) > np.arange(len(rows))[i, None]
        with np.errstate(invalid="ignore"):  # 0/0 of empty boxes: nan, never "overlaps"
            keep &= ~np.any((overlap > threshold) & later, axis=0)
    return rows[keep]


def squared(rows: np.ndarray) -> np.ndarray:
    """Each box grown to a square of its longer side, about the same centre."""
    rows = rows.copy()
    w, h = rows[:, 2] - rows[:, 0], rows[:, 3] - rows[:, 1]
    side = np.maximum(w, h)
    rows[:, 0] += w * 0.5 - side * 0.5
    rows[:, 1] += h * 0.5 - side * 0.5
    rows[:, 2] = rows[:, 0] + side
    rows[:, 3] = rows[:, 1] + side
    return rows


def regressed(rows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Boxes moved by RNet's / ONet's regression (n, 4), in units of the box's size."""
    rows = rows.copy()
    w, h = rows[:, 2] - rows[:, 0] + 1, rows[:, 3] - rows[:, 1] + 1
    rows[:, 0:4] += offsets.astype(np.float64) * np.stack([w, h, w, h], axis=1)
    return rows


def landmarks(rows: np.ndarray, points: np.ndarray) -> np.ndarray:
    """ONet's landmarks (n, 10: five x, five y, in box units) -> image pixels, same layout."""
    points = points.astype(np.float64)
    w, h = rows[:, 2:3] - rows[:, 0:1] + 1, rows[:, 3:4] - rows[:, 1:2] + 1
    return np.concatenate([w * points[:, :5] + rows[:, 0:1] - 1,
                           h * points[:, 5:] + rows[:, 1:2] - 1], axis=1)


def patches(image_rgb: np.ndarray, rows: np.ndarray, side_px: int) -> np.ndarray:
    """Bilinear (n, side, side, 3) float32 crops of the boxes, 0..255, black outside the image.

    ``tf.image.crop_and_resize`` exactly as mtcnn calls it: the box is divided by the image
    size (not size - 1), the first and last samples fall on the box's edges, and a sample
    row or column outside the image is all zero. ``image_rgb``: uint8 (H, W, 3).
    """
    height, width = image_rgb.shape[:2]
    ys, y_ok = _sample_positions(rows[:, 1], rows[:, 3], height, side_px)
    xs, x_ok = _sample_positions(rows[:, 0], rows[:, 2], width, side_px)
    y0, x0 = np.floor(ys).astype(np.intp), np.floor(xs).astype(np.intp)
    y1, x1 = np.ceil(ys).astype(np.intp), np.ceil(xs).astype(np.intp)
    wy, wx = (ys - y0)[:, :, None, None], (xs - x0)[:, None, :, None]
    y0, y1 = y0.clip(0, height - 1)[:, :, None], y1.clip(0, height - 1)[:, :, None]
    x0, x1 = x0.clip(0, width - 1)[:, None, :], x1.clip(0, width - 1)[:, None, :]
    top_left, top_right = image_rgb[y0, x0].astype(np.float32), image_rgb[y0, x1].astype(np.float32)
    bottom_left, bottom_right = image_rgb[y1, x0].astype(np.float32), image_rgb[y1, x1].astype(np.float32)
    top = top_left + (top_right - top_left) * wx
    bottom = bottom_left + (bottom_right - bottom_left) * wx
    crops = top + (bottom - top) * wy
    crops *= (y_ok[:, :, None] & x_ok[:, None, :])[..., None]
    return crops


def _sample_positions(lo: np.ndarray, hi: np.ndarray, size: int, side_px: int):
    """Sample coordinates (n, side) along one axis, float32 as TF computes them, and which
    of them lie inside the image."""
    lo_n = (lo / size).astype(np.float32)[:, None]
    hi_n = (hi / size).astype(np.float32)[:, None]
    step = (hi_n - lo_n) * np.float32(size - 1) / np.float32(side_px - 1)
    positions = lo_n * np.float32(size - 1) + np.arange(side_px, dtype=np.float32) * step
    return positions, (positions >= 0) & (positions <= size - 1)
