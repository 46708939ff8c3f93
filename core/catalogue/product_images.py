"""A product's image: see it, check an upload (a preview, nothing saved), save it, remove it.

Each upload is decoded and re-encoded (core.images), so what is stored is a picture and nothing else;
the page shows the preview before the person saves it (the FAQ's "wrong product images" risk).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.acting import Actor, acting, require_role
from core.catalogue.products import own_product
from core.catalogue.rules import ADDED_AT_THE_SAME_MOMENT, PM, lookup_sku, no_such_product
from core.catalogue.saving import audit_entry
from core.domain import ProductStatus
from core.errors import InvalidInput
from core.i18n import N_, _
from core.images import PRODUCT_IMAGE, CheckedImage, check_image
from core.store.database import Store
from core.store.models import Product


def product_image(store: Store, actor: Actor, sku: str) -> tuple[bytes, str] | None:
    """The stored image and its MIME type, or None."""
    doing = N_("see a product image")
    require_role(actor, PM, doing=doing)
    sku = lookup_sku(sku)
    with acting(store, actor, PM, doing=doing, write=False) as (session, _user, _now):
        row = session.execute(
            select(Product.image, Product.image_mime).where(Product.company_id == actor.company_id, Product.sku == sku)
        ).first()
    if row is None:
        raise no_such_product(sku)
    return (row.image, row.image_mime) if row.image else None


def preview_product_image(data: bytes, filename: str) -> CheckedImage:
    """The image exactly as it would be stored (decoded, checked, re-encoded, scaled down), without
    saving it, so the manager sees it before deciding."""
    return check_image(data, filename, PRODUCT_IMAGE, what="product image")


def save_product_image(store: Store, actor: Actor, sku: str, data: bytes, filename: str, now: datetime) -> CheckedImage:
    """Check the upload again (a preview is never trusted) and store the re-encoded image."""
    doing = N_("change a product image")
    require_role(actor, PM, doing=doing)
    image = preview_product_image(data, filename)
    sku = lookup_sku(sku)
    with acting(store, actor, PM, doing=doing, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _user, now):
        product = own_product(session, actor, sku)
        if product.status == ProductStatus.DELETED:
            raise InvalidInput(_("Product {sku} is deleted; its image can no longer change.", sku=sku), field="image")
        product.image, product.image_mime, product.updated_at = image.data, image.mime, now
        audit_entry(
            session,
            actor,
            now,
            "product.image_changed",
            target=sku,
            file=str(filename)[:100],
            mime=image.mime,
            width=image.width,
            height=image.height,
            size=len(image.data),
        )
    return image


def removing_image(sku: str) -> str:
    """What removing a product's image does, in one sentence, for the confirmation (in the reader's
    language)."""
    return _(
        "Remove the image of {sku}: buyers see no picture of it until a new one is saved, and the removed image "
        "cannot be brought back.",
        sku=sku,
    ).render()


def remove_product_image(store: Store, actor: Actor, sku: str, now: datetime) -> None:
    doing = N_("remove a product image")
    require_role(actor, PM, doing=doing)
    sku = lookup_sku(sku)
    with acting(store, actor, PM, doing=doing, now=now, conflict=ADDED_AT_THE_SAME_MOMENT) as (session, _user, now):
        product = own_product(session, actor, sku)
        if product.image is None:
            raise InvalidInput(_("Product {sku} has no image to remove.", sku=sku), field="image")
        product.image, product.image_mime, product.updated_at = None, None, now
        audit_entry(session, actor, now, "product.image_removed", target=sku)
