"""The LiteRT (TensorFlow Lite) interpreter every exported model runs on.

``ai_edge_litert`` is the small run-time package; TensorFlow's own copy of the same
interpreter is the fallback where that package is missing.
"""
from __future__ import annotations

from kiosk.core.base.tf_quiet import import_tensorflow


def interpreter_class():
    """The LiteRT ``Interpreter`` class."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # TensorFlow's own copy of the same interpreter
        import_tensorflow()
        from tensorflow.lite import Interpreter
    return Interpreter
