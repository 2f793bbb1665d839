"""Every kind of image file a user may hand us: a clear ImageError or a clean RGB array."""
import numpy as np
import pytest
from PIL import Image

from kiosk.core.base.errors import ImageError
from kiosk.core.base.imageio import read_image_rgb
from tests.conftest import SEED


def test_jpeg_is_rgb_uint8():
    image = read_image_rgb(SEED / "younes.jpg")
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8


def test_rgba_png_drops_alpha():
    assert read_image_rgb(SEED / "danielle.png").shape == (96, 96, 3)


def test_greyscale_is_replicated(tmp_path):
    path = tmp_path / "grey.jpg"
    Image.open(SEED / "younes.jpg").convert("L").save(path)
    image = read_image_rgb(path)
    assert image.shape == (96, 96, 3)
    assert (image[..., 0] == image[..., 2]).all()


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    Image.fromarray(ramp).save(path)
    image = read_image_rgb(path)
    assert image.dtype == np.uint8 and image.shape == (64, 64, 3)
    assert image.max() == 255 and image.min() == 0 and len(np.unique(image)) > 200


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("hello, I am a text file"), "not an image"),
    (lambda p: p.write_bytes((SEED / "younes.jpg").read_bytes()[:900]), "damaged or truncated"),
    (lambda p: p.write_bytes(b""), "not an image"),
])
def test_bad_files_give_a_specific_error(tmp_path, make, message):
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(ImageError, match=message):
        read_image_rgb(path)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="not a file"):
        read_image_rgb(tmp_path)


def test_huge_image_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("L", (9000, 9000)).save(path)
    with pytest.raises(ImageError, match="9000x9000.*limit"):
        read_image_rgb(path)
