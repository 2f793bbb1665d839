"""FaceNet (Inception-ResNet-v1, 160x160x3 RGB -> 128) rebuilt for Keras 3 from a Keras 2 file.

``keras.models.load_model`` cannot read ``facenet_keras.h5``: its 21 ``Lambda`` layers hold
marshalled Python 3.6 bytecode computing ``inputs[0] + scale * inputs[1]``. So we rebuild the
graph from the file's own ``model_config`` JSON, replace each Lambda with ``ScaleSum`` (same
arithmetic, ``scale`` from the Lambda's ``arguments``), and assign every weight tensor by layer
and variable name from h5py, failing loudly if any tensor is left unassigned or unused.

Input convention of the Keras model: float32 (n, 160, 160, 3) RGB, already normalised by the
caller (per-image standardisation in this product, pixels/255 in the course). Output: (n, 128)
float32, *not* L2-normalised (the last layer is a BatchNorm).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.specs import DEFAULT_MODEL, ModelSpec
from kiosk.core.base.tf_quiet import import_tensorflow
from kiosk.core.embedding.embedder import l2_normalise
from kiosk.core.models import weights as weights_mod

log = logging.getLogger(__name__)

_DROP_KEYS = ("batch_input_shape", "trainable")


def _scale_sum_class():
    import_tensorflow()
    import keras

    @keras.saving.register_keras_serializable(package="kiosk")
    class ScaleSum(keras.layers.Layer):
        """Residual merge of Inception-ResNet: ``inputs[0] + scale * inputs[1]``."""

        def __init__(self, scale: float, **kwargs):
            super().__init__(**kwargs)
            self.scale = float(scale)

        def call(self, inputs):
            return inputs[0] + self.scale * inputs[1]

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    return ScaleSum


def _read_config(h5) -> dict[str, Any]:
    try:
        return json.loads(h5.attrs["model_config"])
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"{h5.filename} has no readable model_config: {exc}") from exc


def _make_layer(spec: dict[str, Any], scale_sum):
    import_tensorflow()
    import keras

    cfg = {k: v for k, v in spec["config"].items() if k not in _DROP_KEYS}
    if spec["class_name"] == "Lambda":
        return scale_sum(scale=spec["config"]["arguments"]["scale"], name=cfg["name"])
    layer_cls = getattr(keras.layers, spec["class_name"])
    return layer_cls.from_config(cfg)


def _inbound_names(spec: dict[str, Any]) -> list[str]:
    nodes = spec["inbound_nodes"]
    return [entry[0] for entry in nodes[0]] if nodes else []


def _build_graph(config: dict[str, Any]):
    """A Keras 3 functional model with the same layers, names and wiring as the file."""
    import_tensorflow()
    import keras

    scale_sum = _scale_sum_class()
    tensors: dict[str, Any] = {}
    for spec in config["config"]["layers"]:
        name = spec["config"]["name"]
        if spec["class_name"] == "InputLayer":
            shape = tuple(spec["config"]["batch_input_shape"][1:])
            tensors[name] = keras.Input(shape=shape, name=name, dtype="float32")
            continue
        inputs = [tensors[n] for n in _inbound_names(spec)]
        tensors[name] = _make_layer(spec, scale_sum)(inputs if len(inputs) > 1 else inputs[0])
    (out_name, _, _), = config["config"]["output_layers"]
    (in_name, _, _), = config["config"]["input_layers"]
    return keras.Model(tensors[in_name], tensors[out_name], name="facenet_inception_resnet_v1")


def _variable_key(name: str) -> str:
    """'Block35_1_Conv2d_1x1/kernel:0' -> 'kernel'."""
    return name.split("/")[-1].split(":")[0]


def _assign_layer(layer, group) -> int:
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
    stored = {_variable_key(n): np.asarray(group[n]) for n in names}
    variables = {_variable_key(v.name if "/" in v.name else v.path): v for v in layer.weights}
    if set(stored) != set(variables):
        raise WeightsError(f"layer {layer.name}: file has {sorted(stored)}, model wants {sorted(variables)}")
    for key, value in stored.items():
        if tuple(variables[key].shape) != value.shape:
            raise WeightsError(f"layer {layer.name}/{key}: shape {value.shape} != {variables[key].shape}")
        variables[key].assign(value)
    return len(stored)


def _assign_weights(model, h5) -> int:
    groups = h5["model_weights"]
    assigned = 0
    expected = sum(len(layer.weights) for layer in model.layers)
    for layer in model.layers:
        if layer.weights:
            if layer.name not in groups:
                raise WeightsError(f"layer {layer.name} has no weights in {h5.filename}")
            assigned += _assign_layer(layer, groups[layer.name])
    if assigned != expected:
        raise WeightsError(f"assigned {assigned} of {expected} weight tensors")
    return assigned


def build_keras_model(weights_dir: Path, spec: ModelSpec = DEFAULT_MODEL):
    """The reference Keras model with every weight tensor checked and assigned."""
    import h5py

    path = weights_mod.verify(weights_dir, spec)
    try:
        with h5py.File(path, "r") as h5:
            model = _build_graph(_read_config(h5))
            count = _assign_weights(model, h5)
    except OSError as exc:
        raise WeightsError(f"cannot read {path} as HDF5 ({exc}); delete it and {weights_mod.FIX_HINT}") from exc
    log.info("FaceNet rebuilt from %s: %d layers, %d weight tensors assigned", path.name, len(model.layers), count)
    return model


class KerasEmbedder:
    """Reference runtime: the Keras model under ``tf.function`` (no ``predict`` overhead)."""

    def __init__(self, model, spec: ModelSpec = DEFAULT_MODEL):
        tf = import_tensorflow()

        self.model = model
        self.model_id = spec.model_id
        self.dim = spec.dim
        self.input_px = spec.input_px
        self.runtime = "keras"
        self._forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def embed(self, faces: np.ndarray) -> np.ndarray:
        """(n, 160, 160, 3) float32 standardised RGB crops -> (n, 128) float32 unit vectors."""
        raw = np.asarray(self._forward(np.asarray(faces, np.float32)))
        return l2_normalise(raw)
