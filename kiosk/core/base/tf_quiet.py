"""``import tensorflow`` (and LiteRT's first allocation) without C++ chatter on the terminal.

TensorFlow 2.21 writes "oneDNN custom operations are on…" (twice) and a CPU-feature note to
file descriptor 2 while it is imported, before its logging is set up, so
TF_CPP_MIN_LOG_LEVEL cannot silence them. The first import therefore runs with fd 2
redirected to a temporary file; afterwards every line that is not such an info line is
written back to the real stderr (warnings and errors are kept). Every module that loads
TensorFlow, Keras or mtcnn calls `import_tensorflow()` first.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import threading
from typing import Iterator

NOISE = (b"All log messages before absl::InitializeLog()",  # absl's pre-init banner
         b"To enable the following instructions:",  # the CPU-feature note's second line
         b"INFO: Created TensorFlow Lite XNNPACK delegate")  # LiteRT's first allocation
INFO_PREFIX = b"I0000 "  # absl info lines before initialisation


def is_noise(line: bytes) -> bool:
    return line.startswith(INFO_PREFIX) or any(marker in line for marker in NOISE)


@contextlib.contextmanager
def stderr_filtered() -> Iterator[None]:
    """Hold back what is written to fd 2 meanwhile; then write back all but the noise."""
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (a windowed app): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            held.seek(0)
            kept = b"".join(line for line in held if not is_noise(line))
            if kept:
                os.write(2, kept)


_IMPORT_LOCK = threading.Lock()  # fd 2 is process-wide: one redirection at a time


def import_tensorflow():
    """The tensorflow module, imported quietly the first time (thread-safe)."""
    with _IMPORT_LOCK:
        if "tensorflow" not in sys.modules:
            with stderr_filtered():
                importlib.import_module("tensorflow")
    return sys.modules["tensorflow"]
