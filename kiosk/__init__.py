"""FaceNet front-desk kiosk.

``import kiosk`` is instant: TensorFlow and friends load only when a function needs them.
The course's functions are re-exported here: ``img_to_encoding``, ``verify``, ``who_is_it``,
``triplet_loss`` and ``load_model`` (see ``kiosk.course``).
"""
from __future__ import annotations

__version__ = "0.1.0"

_COURSE_NAMES = ("img_to_encoding", "verify", "who_is_it", "triplet_loss", "load_model")
__all__ = [*_COURSE_NAMES, "__version__"]


def __getattr__(name: str):
    if name in _COURSE_NAMES:
        from kiosk import course

        return getattr(course, name)
    raise AttributeError(f"module 'kiosk' has no attribute {name!r}")
