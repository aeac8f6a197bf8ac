"""Profile pictures: an upload is checked, re-encoded and only then stored.

Nothing an admin uploads is stored or served as sent. The upload must be at most
MAX_UPLOAD_BYTES, be a PNG, JPEG, GIF or WebP image by its content (not its name or the type the
browser claims), and declare at most MAX_PIXELS pixels: the header is read and checked before
any pixel is decoded, so a small file claiming a huge canvas (a decompression bomb) never
reaches memory. The image is then decoded, turned upright (EXIF orientation), scaled down to
fit MAX_SIDE and written again as WebP, which drops every metadata chunk (EXIF, GPS, comments)
and anything hidden after the image data.

Files live under MEDIA_ROOT/pictures/ named `<account id>-<digest>.webp`; the digest of the
upload lets the Update form see that the same picture was sent twice. They are served only
through the portal (orgdesk.portal.details.overview.picture), to admins who may view the
account.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

if TYPE_CHECKING:
    from orgdesk.accounts.models import Account

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; decoding that is ~120 MB of RGB at most
MAX_SIDE = 512
ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
CONTENT_TYPE = "image/webp"
EXTENSION = "webp"
DIGEST_LENGTH = 16


@dataclass(frozen=True)
class Picture:
    """A checked, re-encoded profile picture ready to store."""

    data: bytes
    digest: str  # of the upload as sent
    width: int
    height: int

    def filename(self, account: "Account") -> str:
        return f"{account.pk}-{self.digest}.{EXTENSION}"

    def is_current(self, account: "Account") -> bool:
        """Whether `account` already shows this very picture (a form sent twice)."""
        name = (account.picture.name or "").rsplit("/", 1)[-1]
        return name.startswith(f"{account.pk}-{self.digest}")


def _invalid() -> ValidationError:
    return ValidationError(
        _("This file is not a picture we can use. Upload a PNG, JPEG, GIF or WebP image."),
        code="invalid_image",
    )


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The picture has too many pixels: use one of at most %(megapixels)d megapixels.")
        % {"megapixels": MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def process_upload(upload: UploadedFile) -> Picture:
    """Check and re-encode an uploaded file (a Django UploadedFile). Raises ValidationError
    with a message fit for the form; never lets a Pillow error through."""
    size = getattr(upload, "size", None)
    if size is None or size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The picture is too large: at most %(limit)d MB.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="file_too_large",
        )
    if size == 0:
        raise _invalid()
    upload.seek(0)
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The picture is too large: at most %(limit)d MB.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="file_too_large",
        )
    return process_bytes(raw)


def process_bytes(raw: bytes) -> Picture:
    digest = hashlib.sha256(raw).hexdigest()[:DIGEST_LENGTH]
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image: Image.Image = Image.open(io.BytesIO(raw), formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # unidentified, or any parser error on hostile input
            raise _invalid() from None
        width, height = image.size
        if width < 1 or height < 1:
            raise _invalid()
        if width * height > MAX_PIXELS:
            raise _too_many_pixels()
        try:
            if image.format == "JPEG":
                # Decode at a reduced scale when the JPEG is much larger than we keep.
                image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))
            image.seek(0)  # the first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, "WEBP", quality=85, method=4)
        except Exception:
            raise _invalid() from None
    return Picture(data=out.getvalue(), digest=digest, width=image.width, height=image.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
