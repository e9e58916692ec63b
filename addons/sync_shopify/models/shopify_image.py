"""Product images made acceptable to Shopify: what it takes, and nothing it refuses.

Shopify accepts images up to 4472 x 4472 pixels and 20 MB. Photos are sent as
RGB JPEG; images with transparency stay PNG so that the alpha is kept. Camera
photos are turned upright from their EXIF orientation first, since Shopify
shows the pixels as stored.
"""

import io

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 4472
MAX_BYTES = 20 * 1024 * 1024
JPEG_QUALITY = 90


class ImageRejected(ValueError):
    """The bytes are not an image Pillow can read."""


def has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def normalise_image(raw, max_side=MAX_SIDE, max_bytes=MAX_BYTES):
    """``(bytes, mime type, extension)`` of ``raw`` ready for upload; raises ImageRejected."""
    try:
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRejected(str(error) or type(error).__name__) from error
    image = ImageOps.exif_transpose(image)
    if has_alpha(image):
        image, fmt, mime, ext = image.convert("RGBA"), "PNG", "image/png", "png"
    else:
        image, fmt, mime, ext = image.convert("RGB"), "JPEG", "image/jpeg", "jpg"
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    data = _encode(image, fmt)
    while len(data) > max_bytes:
        # Too heavy even within the size limit: shrink until it fits.
        image = image.resize((max(1, int(image.width * 0.8)), max(1, int(image.height * 0.8))),
                             Image.Resampling.LANCZOS)
        data = _encode(image, fmt)
    return data, mime, ext


def _encode(image, fmt):
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
