"""Uploaded images: what is accepted, and the resized copies the pages show.

Covers, author photos and lead images must be real JPEG, PNG or WebP files within
a size and pixel limit. Renditions are made on first use, kept in the default
storage (local media or S3) next to nothing else, and remembered in the cache.
"""

import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 8000
RENDITION_CACHE_SECONDS = 24 * 3600


@deconstructible
class ImageValidator:
    """A real JPEG, PNG or WebP image, at most max_bytes, min_side..max_side pixels a side."""

    def __init__(self, *, max_bytes: int = MAX_BYTES, min_side: int = 1, max_side: int = MAX_SIDE):
        self.max_bytes = max_bytes
        self.min_side = min_side
        self.max_side = max_side

    def __call__(self, file):
        if getattr(file, "_committed", False):
            # Already in storage and checked when it was uploaded; re-reading it from S3
            # on every save would be slow, and a lost file must not block other edits.
            return
        if file.size > self.max_bytes:
            raise ValidationError(
                "This file is %(size)s; images may be at most %(limit)s.",
                code="image_too_large",
                params={
                    "size": filesizeformat(file.size),
                    "limit": filesizeformat(self.max_bytes),
                },
            )
        position = file.tell() if hasattr(file, "tell") else 0
        try:
            file.seek(0)
            with Image.open(file) as image:
                kind, (width, height) = image.format, image.size
                image.verify()
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
            raise ValidationError(
                "This file is not an image we can read. Upload a JPEG, PNG or WebP image.",
                code="not_an_image",
            ) from None
        finally:
            file.seek(position)
        if kind not in ALLOWED_FORMATS:
            raise ValidationError(
                "%(kind)s images are not accepted. Upload a JPEG, PNG or WebP image.",
                code="image_type",
                params={"kind": kind},
            )
        if max(width, height) > self.max_side:
            raise ValidationError(
                "This image is %(width)s×%(height)s pixels; the limit is %(max)s pixels a side.",
                code="image_too_big",
                params={"width": width, "height": height, "max": self.max_side},
            )
        if min(width, height) < self.min_side:
            raise ValidationError(
                "This image is %(width)s×%(height)s pixels; it needs at least %(min)s a side.",
                code="image_too_small",
                params={"width": width, "height": height, "min": self.min_side},
            )

    def __eq__(self, other):
        return isinstance(other, ImageValidator) and vars(self) == vars(other)


validate_image = ImageValidator(min_side=100)


@dataclass(frozen=True)
class Rendition:
    url: str
    width: int
    height: int


def rendition_name(name: str, width: int) -> str:
    path = PurePosixPath(name)
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"renditions/{digest}/{path.stem[:60]}-{width}w{path.suffix.lower()}"


def _make(name: str, width: int) -> Rendition:
    target = rendition_name(name, width)
    with default_storage.open(name, "rb") as source, Image.open(source) as image:
        image = ImageOps.exif_transpose(image)
        kind = image.format or Image.registered_extensions().get(PurePosixPath(name).suffix)
        if image.width <= width:
            return Rendition(default_storage.url(name), image.width, image.height)
        image.thumbnail((width, width * 10), Image.Resampling.LANCZOS)
        if default_storage.exists(target):
            return Rendition(default_storage.url(target), image.width, image.height)
        if kind == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        buffer = BytesIO()
        image.save(buffer, format=kind or "PNG", quality=85, optimize=True)
        saved = default_storage.save(target, ContentFile(buffer.getvalue()))
        return Rendition(default_storage.url(saved), image.width, image.height)


def rendition(image, width: int) -> Rendition | None:
    """A copy of image (an ImageField's file) at most width pixels wide; None if there is none.

    Never upscales: a narrower original is returned as it is.
    """
    if not image or not getattr(image, "name", ""):
        return None
    key = f"rendition:{hashlib.sha256(image.name.encode()).hexdigest()}:{width}"
    found = cache.get(key)
    if found is None:
        try:
            found = _make(image.name, int(width))
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
            logger.warning("Cannot make a %spx rendition of %s", width, image.name, exc_info=True)
            return None
        cache.set(key, found, RENDITION_CACHE_SECONDS)
    return found
