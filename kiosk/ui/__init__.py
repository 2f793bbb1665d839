"""The only package that imports Qt (PySide6); it never imports TensorFlow or mtcnn."""
