"""Image uploaders that say the limits core enforces, and enforce the size in the browser too.

The label says the types and the size ("Product image: PNG, JPEG or WebP, up to 5 MB"), the help
says every limit (core.images.upload_hint), and the uploader's own limit is the kind's size, so a
larger file is refused at once instead of after its upload; core checks everything again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.i18n import _
from core.images import FILE_TYPES, ImageLimits, upload_hint, upload_limits, upload_megabytes


def image_uploader(what: str, limits: ImageLimits, *, key: str, **options: Any):
    """`st.file_uploader` for one image of this kind: `what` starts the label (e.g. "New logo")."""
    return st.file_uploader(
        _("{what}: {limits}", what=what, limits=upload_limits(limits)).render(),
        type=list(FILE_TYPES),
        max_upload_size=upload_megabytes(limits),
        help=upload_hint(limits),
        key=key,
        **options,
    )
