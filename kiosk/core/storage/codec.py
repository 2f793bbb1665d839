"""How the store encodes values: embeddings as blobs, times as text.

Templates are float32 little-endian blobs of shape ``(dim,)``; each row records the
``model_id`` that computed it and its ``dim``, so embeddings of different models never mix.
Times are ISO-8601 UTC text, read back as aware datetimes; a naive datetime is taken as
local time.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone

import numpy as np

from kiosk.core.base.errors import ModelMismatchError, StoreError

EMBEDDING_DTYPE = np.dtype("<f4")  # little-endian on disk whatever the host


# --- times -----------------------------------------------------------------------------
def now() -> datetime:
    return datetime.now(timezone.utc)


def to_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def from_text(text: str | datetime) -> datetime:
    """A stored time as an aware datetime (SQLite keeps text; PostgreSQL gives a datetime)."""
    if isinstance(text, datetime):
        return text.astimezone(timezone.utc)
    return datetime.fromisoformat(text)


def date_to_text(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def date_from_text(text: str | date | None) -> date | None:
    if text is None or isinstance(text, date):
        return text
    return date.fromisoformat(text)


# --- templates -------------------------------------------------------------------------
def clean_model_id(model_id: str) -> str:
    if not isinstance(model_id, str) or not model_id.strip():
        raise ModelMismatchError(f"templates need a model id, got {model_id!r}")
    return model_id.strip()


def embedding_blobs(embeddings: Sequence[np.ndarray]) -> tuple[list[bytes], int]:
    """Checked blobs for ``embeddings`` (each float ``(dim,)``, all the same dim) and dim."""
    arrays = [_as_embedding(embedding, i) for i, embedding in enumerate(embeddings)]
    if not arrays:
        raise StoreError("an enrolment needs at least one embedding")
    dims = sorted({array.shape[0] for array in arrays})
    if len(dims) > 1:
        raise ModelMismatchError(f"embeddings of different lengths {dims} in one enrolment")
    return [array.tobytes() for array in arrays], dims[0]


def template_sources(sources: Sequence[str] | None, count: int) -> list[str | None]:
    """One source label (or None) per embedding."""
    if sources is None:
        return [None] * count
    if len(sources) != count:
        raise ValueError(f"{len(sources)} sources for {count} embeddings")
    return [None if source is None else str(source) for source in sources]


def stack_templates(rows: list[tuple], dim: int,
                    model_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(id, person_id, dim, blob)`` rows as ``(embeddings (N, dim) float32,
    template_ids (N,) int64, person_ids (N,) int64)``."""
    dims = sorted({row[2] for row in rows})
    if dims and dims != [dim]:
        raise ModelMismatchError(f"stored templates of model {model_id!r} have {dims[0]} values,"
                                 f" the model in use makes {dim}")
    if any(len(row[3]) != dim * EMBEDDING_DTYPE.itemsize for row in rows):
        raise StoreError(f"a stored template of model {model_id!r} is damaged")
    matrix = np.frombuffer(b"".join(row[3] for row in rows), dtype=EMBEDDING_DTYPE)
    return (matrix.reshape(len(rows), dim).astype(np.float32),
            np.array([row[0] for row in rows], dtype=np.int64),
            np.array([row[1] for row in rows], dtype=np.int64))


def _as_embedding(embedding: np.ndarray, index: int) -> np.ndarray:
    array = np.asarray(embedding)
    if array.ndim != 1 or array.size == 0:
        raise StoreError(f"embedding {index} has shape {array.shape}, expected (dim,)")
    if array.dtype.kind != "f":
        raise StoreError(f"embedding {index} has dtype {array.dtype}, expected float")
    stored = array.astype(EMBEDDING_DTYPE)
    if not np.all(np.isfinite(stored)):
        raise StoreError(f"embedding {index} contains NaN or infinite values")
    return stored
