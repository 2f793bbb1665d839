"""MTCNN's three networks exported to LiteRT, once, from the ``mtcnn`` package's Keras models.

The files sit in the weights folder beside the FaceNet export, named by the detector spec
(``mtcnn-1.0.0-pnet.tflite``, ``-rnet``, ``-onet``), so a program without TensorFlow or
mtcnn (the slim installer) still knows their names. `kiosk.core.models.exports` records each
file's sha256 when it is built and refuses a changed file at every load.

What each file computes (float32 throughout; inputs are RGB normalised to (v - 127.5) / 128,
the networks' training convention, done by the caller so the files are the bare networks):

* PNet: (1, H, W, 3) -> box offsets (1, h, w, 4), scores (1, h, w, 2); H and W are dynamic
  (``resize_tensor_input`` per pyramid level), h = ceil((H - 2) / 2) - 4, same for w;
* RNet: (n, 24, 24, 3) -> box offsets (n, 4), scores (n, 2);
* ONet: (n, 48, 48, 3) -> box offsets (n, 4), landmarks (n, 10: five x then five y), scores (n, 2).

The output order differs from the Keras order after conversion, so `output_order` names
each output by its last dimension. TensorFlow and mtcnn are imported only while building.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.specs import DEFAULT_DETECTOR, DetectorSpec
from kiosk.core.models import exports

log = logging.getLogger(__name__)

NETWORKS = ("pnet", "rnet", "onet")
# The input each network is exported with; None = any size, set per call by the runtime.
INPUT_SHAPES = {"pnet": (1, None, None, 3), "rnet": (None, 24, 24, 3), "onet": (None, 48, 48, 3)}
# Each output's last dimension, in the Keras model's order; used to find them after conversion.
OUTPUT_DIMS = {"pnet": (4, 2), "rnet": (4, 2), "onet": (4, 10, 2)}


def export_path(weights_dir: Path, network: str, spec: DetectorSpec = DEFAULT_DETECTOR) -> Path:
    """Where ``network`` ("pnet", "rnet" or "onet") of ``spec`` is cached."""
    if network not in NETWORKS:
        raise ValueError(f"unknown MTCNN network {network!r}, expected one of {NETWORKS}")
    return Path(weights_dir) / f"{spec.detector_id}-{network}.tflite"


def ensure_exports(weights_dir: Path, spec: DetectorSpec = DEFAULT_DETECTOR) -> dict[str, Path]:
    """{network: checked export}, each built from the mtcnn package (seconds, once) when
    missing; a changed file is refused with a WeightsError (see `kiosk.core.models.exports`)."""
    Path(weights_dir).mkdir(parents=True, exist_ok=True)
    return {net: exports.build_once(export_path(weights_dir, net, spec),
                                    lambda net=net: _convert(net, spec))
            for net in NETWORKS}


def _keras_model(network: str, spec: DetectorSpec):
    """The mtcnn package's Keras model of ``network`` with its bundled weights."""
    from importlib import metadata

    from kiosk.core.base.tf_quiet import import_tensorflow

    try:
        installed = f"mtcnn-{metadata.version('mtcnn')}"
        import_tensorflow()
        from mtcnn import stages
    except (ImportError, metadata.PackageNotFoundError) as exc:
        raise WeightsError(f"cannot build the MTCNN exports: {exc} (TensorFlow and mtcnn are"
                           " needed once, to build them)") from exc
    if installed != spec.detector_id:  # another version's weights would silently differ
        raise WeightsError(f"the MTCNN exports are of {spec.detector_id}, but {installed} is installed")
    stage = {"pnet": stages.StagePNet, "rnet": stages.StageRNet, "onet": stages.StageONet}[network]
    return stage().model


def _convert(network: str, spec: DetectorSpec) -> bytes:
    """The ``network`` as a LiteRT flatbuffer (fp32, no quantisation: parity with Keras)."""
    from kiosk.core.base.tf_quiet import import_tensorflow

    model = _keras_model(network, spec)  # first: a WeightsError, not ImportError, without TF
    tf = import_tensorflow()
    signature = [tf.TensorSpec(INPUT_SHAPES[network], tf.float32, name="patches")]
    # Through a SavedModel, as FaceNet's export: a concrete function of a Keras 3 model
    # converted directly loses its variables.
    with tempfile.TemporaryDirectory(prefix=".mtcnn-export-") as tmp:
        model.export(tmp, format="tf_saved_model", input_signature=signature, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        return converter.convert()


def output_order(output_details: list[dict], network: str) -> list[int]:
    """Tensor indices of ``network``'s outputs in the Keras order, from LiteRT's details."""
    by_dim = {int(d["shape"][-1]): d["index"] for d in output_details}
    if sorted(by_dim) != sorted(OUTPUT_DIMS[network]):
        raise WeightsError(f"the {network} export has outputs of sizes {sorted(by_dim)},"
                           f" expected {sorted(OUTPUT_DIMS[network])}; {exports.REBUILD_HINT}")
    return [by_dim[dim] for dim in OUTPUT_DIMS[network]]
