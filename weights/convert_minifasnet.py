"""Convert the two pretrained MiniFASNet anti-spoofing models to LiteRT (development time only).

Run it in a separate development venv that holds torch and tensorflow-cpu, never in the
kiosk's venv and never from ``make test`` (the kiosk only needs ai_edge_litert at run time):

    python3.11 -m venv build/pad-venv
    build/pad-venv/bin/pip install torch==2.13.0 tensorflow-cpu==2.21.0 keras==3.15.1 \\
        ai-edge-litert==2.3.0 opencv-python-headless
    build/pad-venv/bin/python weights/convert_minifasnet.py \\
        --source ../shared/third-party/silent-face-anti-spoofing \\
        --check-images ../shared/testdata/pad ../shared/testdata/lfw-view1

What it does, for each model:

1. checks the ``.pth`` file's sha256 against the value published in the third-party README;
2. builds the network in PyTorch from this file's own definition (`TorchMiniFASNet`) and loads
   the state dict with ``strict=True`` after stripping the ``module.`` prefix, so every key and
   every shape must match: that is the check of the architecture and of its channel widths;
3. builds the same network in Keras (NHWC), copying each torch parameter into it
   (conv OIHW -> HWIO, depthwise (C,1,kh,kw) -> (kh,kw,C,1), BatchNorm, PReLU, SE, linear);
4. compares Keras and torch logits on random inputs and on real face crops (fails above
   ``LOGIT_TOLERANCE``);
5. converts through a SavedModel to LiteRT fp32, compares the .tflite with torch again and
   writes it with its sha256.

The LiteRT model's contract (also in weights/README.md):

* input  ``float32 (1, 80, 80, 3)``, NHWC, **BGR** channel order, raw pixel values 0..255
  (no mean, no scaling) -- the authors' crop resized to 80x80 with OpenCV's bilinear resize;
* output ``float32 (1, 3)``: the **softmax probabilities** of the three classes; index 1 is
  "live", indices 0 and 2 are the two attack classes.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INPUT_SIZE = 80
LIVE_INDEX = 1
LOGIT_TOLERANCE = 1e-3  # max |logit difference| allowed between torch, Keras and LiteRT
PROB_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Widths:
    """Channel widths of a pruned MiniFASNet, as the published state dicts have them.

    ``stem``: conv1 / conv2_dw outputs. Each stage is entered by a stride-2 inverted
    bottleneck of width ``down_*`` and then holds residual bottlenecks whose hidden widths are
    listed in ``blocks_*`` (the pruning left each block its own width); ``out_*`` is the
    stage's channel count. ``head``: the 1x1 conv before the 5x5 global depthwise conv.
    """

    stem: int = 32
    down_2: int = 103
    out_2: int = 64
    blocks_2: tuple[int, ...] = ()
    down_3: int = 231
    out_3: int = 128
    blocks_3: tuple[int, ...] = ()
    down_4: int = 308
    out_4: int = 128
    blocks_4: tuple[int, ...] = ()
    head: int = 512
    embedding: int = 128
    classes: int = 3


# The two configurations of the authors' pruning ("1.8M_" for V2, "1.8M" for V1/V1SE).
WIDTHS_V2 = Widths(blocks_2=(13, 13, 13, 13), blocks_3=(231, 52, 26, 77, 26, 26),
                   blocks_4=(26, 26))
WIDTHS_V1 = Widths(blocks_2=(13, 26, 13, 52), blocks_3=(154, 52, 26, 52, 26, 26),
                   blocks_4=(26, 26))
SE_REDUCTION = 4  # the SE variant squeezes the stage's channels by 4 in its last block


@dataclass(frozen=True)
class Source:
    """One published .pth file and what it becomes."""

    pth: str
    sha256: str
    arch: str          # "MiniFASNetV2" | "MiniFASNetV1SE"
    scale: float       # face-box enlargement of the crop the model was trained on
    tflite: str


SOURCES = (
    Source("2.7_80x80_MiniFASNetV2.pth",
           "a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0",
           "MiniFASNetV2", 2.7, "minifasnet_v2_2.7_80x80.tflite"),
    Source("4_0_0_80x80_MiniFASNetV1SE.pth",
           "84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990",
           "MiniFASNetV1SE", 4.0, "minifasnet_v1se_4.0_80x80.tflite"),
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# PyTorch definition (module names are those of the published state dicts)
# --------------------------------------------------------------------------------------------

def _torch_modules():
    """The torch classes, defined lazily so that ``--help`` works without torch."""
    import torch
    from torch import nn

    class ConvBnAct(nn.Module):
        """conv (no bias) -> BatchNorm2d -> optional per-channel PReLU."""

        def __init__(self, cin, cout, kernel=1, stride=1, pad=0, depthwise=False, act=True):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, kernel, stride, pad, bias=False,
                                  groups=cout if depthwise else 1)
            self.bn = nn.BatchNorm2d(cout)
            if act:
                self.prelu = nn.PReLU(cout)

        def forward(self, x):
            x = self.bn(self.conv(x))
            return self.prelu(x) if hasattr(self, "prelu") else x

    class Squeeze(nn.Module):
        """Squeeze-and-excitation: global mean -> 1x1 -> BN -> ReLU -> 1x1 -> BN -> sigmoid."""

        def __init__(self, channels):
            super().__init__()
            hidden = channels // SE_REDUCTION
            self.fc1 = nn.Conv2d(channels, hidden, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(hidden)
            self.fc2 = nn.Conv2d(hidden, channels, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)

        def forward(self, x):
            g = x.mean(dim=(2, 3), keepdim=True)
            g = torch.relu(self.bn1(self.fc1(g)))
            return x * torch.sigmoid(self.bn2(self.fc2(g)))

    class Bottleneck(nn.Module):
        """1x1 expand (PReLU) -> 3x3 depthwise (PReLU) -> 1x1 project (linear) [-> SE] [+ x]."""

        def __init__(self, cin, hidden, cout, stride, residual, se=False):
            super().__init__()
            self.residual = residual
            self.conv = ConvBnAct(cin, hidden)
            self.conv_dw = ConvBnAct(hidden, hidden, 3, stride, 1, depthwise=True)
            self.project = ConvBnAct(hidden, cout, act=False)
            if se:
                self.se_module = Squeeze(cout)

        def forward(self, x):
            y = self.project(self.conv_dw(self.conv(x)))
            if hasattr(self, "se_module"):
                y = self.se_module(y)
            return x + y if self.residual else y

    class Stage(nn.Module):
        """Residual bottlenecks at a constant channel count (attribute ``model`` as published)."""

        def __init__(self, channels, hiddens, se_last):
            super().__init__()
            self.model = nn.Sequential(*[
                Bottleneck(channels, h, channels, 1, True, se=se_last and i == len(hiddens) - 1)
                for i, h in enumerate(hiddens)])

        def forward(self, x):
            return self.model(x)

    class TorchMiniFASNet(nn.Module):
        """MiniFASNet (V1/V2, with or without SE) for NCHW float input; returns 3 logits."""

        def __init__(self, w: Widths, se: bool):
            super().__init__()
            self.conv1 = ConvBnAct(3, w.stem, 3, 2, 1)
            self.conv2_dw = ConvBnAct(w.stem, w.stem, 3, 1, 1, depthwise=True)
            self.conv_23 = Bottleneck(w.stem, w.down_2, w.out_2, 2, False)
            self.conv_3 = Stage(w.out_2, w.blocks_2, se)
            self.conv_34 = Bottleneck(w.out_2, w.down_3, w.out_3, 2, False)
            self.conv_4 = Stage(w.out_3, w.blocks_3, se)
            self.conv_45 = Bottleneck(w.out_3, w.down_4, w.out_4, 2, False)
            self.conv_5 = Stage(w.out_4, w.blocks_4, se)
            self.conv_6_sep = ConvBnAct(w.out_4, w.head)
            kernel = (INPUT_SIZE + 15) // 16  # 80 -> 5: the feature map's size after 4 stride-2
            self.conv_6_dw = ConvBnAct(w.head, w.head, kernel, depthwise=True, act=False)
            self.linear = nn.Linear(w.head, w.embedding, bias=False)
            self.bn = nn.BatchNorm1d(w.embedding)
            self.prob = nn.Linear(w.embedding, w.classes, bias=False)

        def forward(self, x):
            for name in ("conv1", "conv2_dw", "conv_23", "conv_3", "conv_34", "conv_4",
                         "conv_45", "conv_5", "conv_6_sep", "conv_6_dw"):
                x = getattr(self, name)(x)
            x = torch.flatten(x, 1)
            return self.prob(self.bn(self.linear(x)))  # dropout is the identity in eval

    return TorchMiniFASNet


def load_torch_model(path: Path, source: Source):
    """The strictly loaded torch model in eval mode (raises on any key or shape mismatch)."""
    import torch

    actual = sha256_of(path)
    if actual != source.sha256:
        raise SystemExit(f"{path}: sha256 {actual} != published {source.sha256}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    widths, se = {"MiniFASNetV2": (WIDTHS_V2, False),
                  "MiniFASNetV1SE": (WIDTHS_V1, True)}[source.arch]
    model = _torch_modules()(widths, se)
    model.load_state_dict(state, strict=True)  # every key and every shape must match
    n_params = sum(v.numel() for v in state.values() if v.dtype.is_floating_point)
    print(f"  {source.pth}: strict load OK ({len(state)} tensors, {n_params} numbers), "
          f"{source.arch}, se={se}")
    return model.eval()


# --------------------------------------------------------------------------------------------
# Keras twin built from the loaded torch modules
# --------------------------------------------------------------------------------------------

def _np(t):
    return t.detach().cpu().numpy().astype(np.float32)


def _k_bn(layers, x, bn, name):
    layer = layers.BatchNormalization(epsilon=bn.eps, name=name)
    y = layer(x)
    layer.set_weights([_np(bn.weight), _np(bn.bias), _np(bn.running_mean), _np(bn.running_var)])
    return y


def _k_conv(layers, x, conv, name):
    """torch Conv2d (no bias, groups 1 or depthwise) -> explicit zero padding + valid conv."""
    pad, stride, kernel = conv.padding[0], conv.stride[0], conv.kernel_size[0]
    # torch pads symmetrically. Keras "same" does too at stride 1 with an odd kernel, but
    # pads (0, 1) at stride 2 on an even input: there the padding is explicit.
    padding = "same" if pad and stride == 1 and kernel == 2 * pad + 1 else "valid"
    if pad and padding == "valid":
        x = layers.ZeroPadding2D(pad, name=name + "_pad")(x)
    weight = _np(conv.weight)
    if conv.groups == 1:
        layer = layers.Conv2D(conv.out_channels, conv.kernel_size, conv.stride, padding,
                              use_bias=False, name=name)
        y = layer(x)
        layer.set_weights([weight.transpose(2, 3, 1, 0)])  # OIHW -> HWIO
    else:
        assert conv.groups == conv.in_channels == conv.out_channels, "only depthwise groups"
        layer = layers.DepthwiseConv2D(conv.kernel_size, conv.stride, padding,
                                       use_bias=False, name=name)
        y = layer(x)
        layer.set_weights([weight.transpose(2, 3, 0, 1)])  # (C,1,kh,kw) -> (kh,kw,C,1)
    return y


def _k_conv_bn_act(layers, x, block, name):
    x = _k_bn(layers, _k_conv(layers, x, block.conv, name + "_conv"), block.bn, name + "_bn")
    if hasattr(block, "prelu"):
        layer = layers.PReLU(shared_axes=[1, 2], name=name + "_prelu")
        x = layer(x)
        layer.set_weights([_np(block.prelu.weight).reshape(1, 1, -1)])
    return x


def _k_bottleneck(layers, x, block, name):
    y = _k_conv_bn_act(layers, x, block.conv, name + "_expand")
    y = _k_conv_bn_act(layers, y, block.conv_dw, name + "_dw")
    y = _k_conv_bn_act(layers, y, block.project, name + "_project")
    if hasattr(block, "se_module"):
        se = block.se_module
        g = layers.GlobalAveragePooling2D(keepdims=True, name=name + "_se_pool")(y)
        g = _k_bn(layers, _k_conv(layers, g, se.fc1, name + "_se_fc1"), se.bn1, name + "_se_bn1")
        g = layers.ReLU(name=name + "_se_relu")(g)
        g = _k_bn(layers, _k_conv(layers, g, se.fc2, name + "_se_fc2"), se.bn2, name + "_se_bn2")
        g = layers.Activation("sigmoid", name=name + "_se_sigmoid")(g)
        y = layers.Multiply(name=name + "_se_scale")([y, g])
    return layers.Add(name=name + "_add")([x, y]) if block.residual else y


def build_keras_model(torch_model):
    """(logits_model, probs_model): Keras NHWC twins of ``torch_model`` with its weights.

    Input float32 (N, 80, 80, 3) BGR 0..255. ``probs_model`` appends a softmax.
    """
    import keras
    from keras import layers

    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), batch_size=1, name="bgr_0_255")
    m = torch_model
    x = _k_conv_bn_act(layers, inputs, m.conv1, "conv1")
    x = _k_conv_bn_act(layers, x, m.conv2_dw, "conv2_dw")
    for name in ("conv_23", "conv_3", "conv_34", "conv_4", "conv_45", "conv_5"):
        module = getattr(m, name)
        blocks = list(module.model) if hasattr(module, "model") else [module]
        for i, block in enumerate(blocks):
            x = _k_bottleneck(layers, x, block, f"{name}_{i}")
    x = _k_conv_bn_act(layers, x, m.conv_6_sep, "conv_6_sep")
    x = _k_conv_bn_act(layers, x, m.conv_6_dw, "conv_6_dw")
    # (1, 1, 512) -> 512, the same order as torch's NCHW flatten; a static Reshape, not
    # Flatten, which would leave SHAPE / STRIDED_SLICE / PACK ops in the LiteRT graph.
    x = layers.Reshape((m.linear.in_features,), name="flatten")(x)
    dense = layers.Dense(m.linear.out_features, use_bias=False, name="linear")
    x = dense(x)
    dense.set_weights([_np(m.linear.weight).T])
    x = _k_bn(layers, x, m.bn, "bn")
    prob = layers.Dense(m.prob.out_features, use_bias=False, name="prob")
    logits = prob(x)
    prob.set_weights([_np(m.prob.weight).T])
    probs = layers.Softmax(name="softmax")(logits)
    return (keras.Model(inputs, logits, name="minifasnet_logits"),
            keras.Model(inputs, probs, name="minifasnet"))


# --------------------------------------------------------------------------------------------
# Checks and conversion
# --------------------------------------------------------------------------------------------

def check_inputs(image_dirs: list[Path], n_random: int = 16, n_images: int = 48) -> np.ndarray:
    """float32 (N, 80, 80, 3) BGR 0..255: uniform noise, flat and extreme frames, and real
    face crops (each image's central square, or the whole tight crop), resized bilinearly."""
    import cv2

    rng = np.random.default_rng(0)
    batches = [rng.uniform(0, 255, (n_random, INPUT_SIZE, INPUT_SIZE, 3)),
               np.zeros((1, INPUT_SIZE, INPUT_SIZE, 3)),
               np.full((1, INPUT_SIZE, INPUT_SIZE, 3), 255.0)]
    files = sorted(p for d in image_dirs for p in d.rglob("*")
                   if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    picked = [files[i] for i in np.linspace(0, len(files) - 1, min(n_images, len(files)),
                                            dtype=int)] if files else []
    crops = []
    for path in picked:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        h, w = bgr.shape[:2]
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        crops.append(cv2.resize(bgr[y0:y0 + side, x0:x0 + side], (INPUT_SIZE, INPUT_SIZE)))
    if crops:
        batches.append(np.stack(crops))
    print(f"  check inputs: {n_random + 2} synthetic, {len(crops)} real face crops")
    return np.concatenate(batches).astype(np.float32)


def torch_logits(model, x_nhwc: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(x_nhwc.transpose(0, 3, 1, 2).copy())).numpy()


def run_each(fn, x: np.ndarray) -> np.ndarray:
    """fn applied to each (1, 80, 80, 3) slice of x (the models have a fixed batch of 1)."""
    return np.concatenate([fn(x[i:i + 1]) for i in range(len(x))])


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def convert_to_tflite(probs_model) -> bytes:
    """LiteRT fp32 flatbuffer of the Keras model, through a SavedModel (see facenet_litert)."""
    import tensorflow as tf

    # A fixed (1, 80, 80, 3) signature: with Keras's default (None, 80, 80, 3) the flatten
    # becomes SHAPE / STRIDED_SLICE / PACK / RESHAPE and XNNPACK splits the graph in two.
    signature = [tf.TensorSpec((1, INPUT_SIZE, INPUT_SIZE, 3), tf.float32, name="bgr_0_255")]
    with tempfile.TemporaryDirectory(prefix="minifasnet-export-") as tmp:
        probs_model.export(tmp, format="tf_saved_model", verbose=False,
                           input_signature=signature)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        return converter.convert()


def litert_runner(flatbuffer: bytes):
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=flatbuffer, num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    assert tuple(inp["shape_signature"]) == (1, INPUT_SIZE, INPUT_SIZE, 3), inp["shape_signature"]
    assert inp["dtype"] == np.float32
    assert tuple(out["shape"]) == (1, 3) and out["dtype"] == np.float32

    def run(x):
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        return interp.get_tensor(out["index"]).copy()

    # pylint: disable-next=protected-access  (the op list is only printed, for the record)
    ops = sorted({d["op_name"] for d in interp._get_ops_details()})
    return run, ops


def convert_one(source: Source, src_dir: Path, out_dir: Path, checks: np.ndarray) -> dict:
    """Load, port, check and write one model; returns the numbers for the summary."""
    print(f"{source.arch} (scale {source.scale})")
    tmodel = load_torch_model(src_dir / source.pth, source)
    ref_logits = torch_logits(tmodel, checks)
    ref_probs = np.exp(log_softmax(ref_logits))

    logits_model, probs_model = build_keras_model(tmodel)
    k_logits = run_each(lambda b: logits_model(b, training=False).numpy(), checks)
    d_keras = float(np.abs(k_logits - ref_logits).max())
    print(f"  keras vs torch: max |logit diff| {d_keras:.2e}")

    flatbuffer = convert_to_tflite(probs_model)
    run, ops = litert_runner(flatbuffer)
    t_probs = run_each(run, checks)
    d_prob = float(np.abs(t_probs - ref_probs).max())
    # log-probabilities = logits up to a per-row constant: the strict comparison for softmax
    # outputs (clipped where a probability underflows float32).
    d_logp = float(np.abs(np.log(np.maximum(t_probs, 1e-30)) - log_softmax(ref_logits))
                   [ref_probs > 1e-6].max())
    argmax_same = bool((t_probs.argmax(1) == ref_logits.argmax(1)).all())
    print(f"  litert vs torch: max |prob diff| {d_prob:.2e}, max |log-prob diff| {d_logp:.2e}, "
          f"same argmax on all {len(checks)}: {argmax_same}")
    print(f"  litert ops: {', '.join(ops)}")
    if d_keras > LOGIT_TOLERANCE or d_logp > LOGIT_TOLERANCE or d_prob > PROB_TOLERANCE:
        raise SystemExit(f"{source.arch}: conversion differs from torch beyond tolerance")

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.tflite
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(flatbuffer)
    os.replace(partial, target)
    digest = hashlib.sha256(flatbuffer).hexdigest()
    print(f"  wrote {target} ({len(flatbuffer)} bytes) sha256 {digest}")
    live = ref_probs[:, LIVE_INDEX]
    print(f"  torch live prob on the check set: min {live.min():.3f} median "
          f"{np.median(live):.3f} max {live.max():.3f}")
    return {"file": source.tflite, "sha256": digest, "bytes": len(flatbuffer),
            "keras_logit": d_keras, "litert_prob": d_prob, "litert_logprob": d_logp}


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path,
                        default=here.parent.parent / "shared/third-party/silent-face-anti-spoofing",
                        help="folder holding the two published .pth files")
    parser.add_argument("--out", type=Path, default=here, help="where the .tflite files go")
    parser.add_argument("--check-images", type=Path, nargs="*",
                        default=[here.parent.parent / "shared/testdata/pad"],
                        help="folders of real face photos used for the numerical checks")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    checks = check_inputs([d for d in args.check_images if d.is_dir()])
    results = [convert_one(s, args.source, args.out, checks) for s in SOURCES]
    print("\nsummary")
    for r in results:
        print(f"  {r['file']}: {r['bytes']} bytes sha256 {r['sha256']}; max |diff| vs torch: "
              f"keras logit {r['keras_logit']:.1e}, litert prob {r['litert_prob']:.1e}, "
              f"litert log-prob {r['litert_logprob']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
