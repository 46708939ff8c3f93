"""Demo data: a living seller company, deterministic from a seed.

One whitelisted company (DEMO01) with a System Administrator and a Product Manager, three
warehouses in three Indonesian time zones with different hours, ~60 products stocked and priced
per warehouse, ~50 approved buyers; plus a non-whitelisted company and a blocked user, so those
paths can be shown. Loaded once: `load_demo` does nothing when DEMO01 already exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.accounts.hashing import hash_password
from core.domain import ProductStatus, Role, UserStatus, WarehouseStatus
from core.store.database import Store
from core.store.models import Buyer, Company, Notification, PriceChange, Product, StockLevel, User, Warehouse

DEMO_COMPANY_CODE = "DEMO01"
DEMO_PASSWORD = "Kopra-Demo-2026"
OTHER_COMPANY_CODE = "NOTWL02"


@dataclass(frozen=True)
class DemoLogin:
    company_code: str
    user_code: str
    role: str
    note: str


DEMO_LOGINS = (
    DemoLogin(DEMO_COMPANY_CODE, "admin", "System Administrator", "warehouses, company profile"),
    DemoLogin(DEMO_COMPANY_CODE, "pm", "Product Manager", "dashboard, products, sales, history, settings"),
    DemoLogin(DEMO_COMPANY_CODE, "blocked", "Product Manager", "blocked: shows the blocked-user message"),
    DemoLogin(OTHER_COMPANY_CODE, "admin", "System Administrator", "company not whitelisted: refused"),
)

WAREHOUSES = (
    # code, name, address, zone, weekdays, opens, closes, processing days, SLA days
    (
        "JKT-01",
        "Gudang Cakung",
        "Jl. Raya Cakung Cilincing No. 12, Jakarta Timur",
        "Asia/Jakarta",
        "0,1,2,3,4",
        time(8, 0),
        time(17, 0),
        2,
        3,
    ),
    (
        "MKS-01",
        "Gudang Makassar",
        "Jl. Kima Raya 2 No. 8, Makassar",
        "Asia/Makassar",
        "0,1,2,3,4,5",
        time(8, 0),
        time(16, 0),
        2,
        4,
    ),
    (
        "JYP-01",
        "Gudang Sentani",
        "Jl. Raya Sentani No. 45, Jayapura",
        "Asia/Jayapura",
        "0,1,2,3,4",
        time(9, 0),
        time(17, 0),
        3,
        5,
    ),
)

CATALOGUE = (
    # name stem, unit, base price in rupiah
    ("Beras Premium 5 kg", "sak", 78_000),
    ("Beras Medium 25 kg", "sak", 310_000),
    ("Minyak Goreng 2 L", "pouch", 36_500),
    ("Minyak Goreng 5 L", "jerigen", 88_000),
    ("Gula Pasir 1 kg", "pak", 17_500),
    ("Tepung Terigu 1 kg", "pak", 12_800),
    ("Telur Ayam 10 butir", "pak", 28_000),
    ("Kopi Bubuk 200 g", "pak", 24_500),
    ("Teh Celup isi 25", "kotak", 9_800),
    ("Susu UHT 1 L", "kotak", 19_900),
    ("Mi Instan Goreng", "dus", 118_000),
    ("Mi Instan Kuah", "dus", 112_000),
    ("Kecap Manis 520 ml", "botol", 23_400),
    ("Saus Sambal 340 ml", "botol", 15_700),
    ("Air Mineral 600 ml", "dus", 46_000),
    ("Air Mineral 19 L", "galon", 21_000),
    ("Sabun Mandi Batang", "lusin", 42_000),
    ("Deterjen Bubuk 800 g", "pak", 21_500),
    ("Pasta Gigi 190 g", "tube", 14_200),
    ("Sampo Sachet", "renteng", 11_000),
    ("Tisu Wajah 250 lembar", "pak", 16_800),
    ("Popok Bayi M isi 34", "pak", 89_000),
    ("Biskuit Kelapa", "dus", 54_000),
    ("Wafer Cokelat", "dus", 61_000),
    ("Sarden Kaleng 425 g", "kaleng", 27_600),
    ("Kornet Sapi 340 g", "kaleng", 38_900),
    ("Garam Dapur 500 g", "pak", 6_500),
    ("Margarin 200 g", "pak", 9_900),
    ("Santan Kelapa 200 ml", "kotak", 8_700),
    ("Kacang Tanah 1 kg", "pak", 36_000),
)

VARIANTS = ("", " Hemat")
CITIES = (
    "Jakarta",
    "Bekasi",
    "Bogor",
    "Depok",
    "Tangerang",
    "Makassar",
    "Gowa",
    "Maros",
    "Jayapura",
    "Sentani",
    "Surabaya",
    "Bandung",
    "Semarang",
    "Medan",
    "Denpasar",
)
SHOP_WORDS = ("Toko", "Warung", "Minimarket", "Grosir", "Kios", "UD", "CV")
SHOP_NAMES = (
    "Berkah",
    "Sejahtera",
    "Makmur",
    "Jaya",
    "Sentosa",
    "Barokah",
    "Abadi",
    "Lestari",
    "Mandiri",
    "Sumber Rejeki",
    "Harapan",
    "Mulia",
    "Cahaya",
    "Bintang",
    "Amanah",
)


def demo_users_present(store: Store) -> list[str]:
    """The demo logins (Company ID/User ID) that exist and are not deleted: production refuses them."""
    with store.reading() as session:
        found = session.execute(
            select(Company.company_code, User.user_code)
            .join(User, User.company_id == Company.id)
            .where(User.deleted_at.is_(None))
        ).all()
    demo = {(login.company_code, login.user_code) for login in DEMO_LOGINS}
    return sorted(f"{company}/{user}" for company, user in found if (company, user) in demo)


def demo_is_loaded(session: Session) -> bool:
    return session.scalar(select(Company.id).where(Company.company_code == DEMO_COMPANY_CODE)) is not None


def load_demo(store: Store, *, seed: int, now: datetime, history_days: int = 180, orders_per_weekday: int = 10) -> bool:
    """Load the demo company, catalogue and buyers once, then `history_days` of orders played
    through the real services up to `now`. Returns False if the demo was already there."""
    rng = random.Random(seed)
    opened = now - timedelta(days=history_days + 30)  # the company joined a month before its first order
    with store.transaction() as session:
        if demo_is_loaded(session):
            return False
        password_hash = hash_password(DEMO_PASSWORD)
        company = _demo_company(session, opened)
        # Demo passwords were "changed" today, so the 90-day expiry does not force a change on the demo.
        _demo_users(session, company, password_hash, opened, password_changed_at=now)
        warehouses = _demo_warehouses(session, company, opened)
        _demo_catalogue(session, company, warehouses, rng, opened)
        _demo_buyers(session, rng, opened)
        _other_company(session, password_hash, opened, password_changed_at=now)
    if history_days > 0:
        from core.demo.history import make_history  # plays the services forward; imported only when needed

        make_history(
            store,
            company_code=DEMO_COMPANY_CODE,
            seed=seed,
            end=now,
            days=history_days,
            orders_per_weekday=orders_per_weekday,
        )
        _read_before(store, now - DEMO_UNREAD_DAYS)
    return True


#: The demo's staff have read what the history told them, except its last days: the bell shows what
#: a working day would, not months of notifications.
DEMO_UNREAD_DAYS = timedelta(days=2)


def _read_before(store: Store, moment: datetime) -> None:
    with store.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.created_at < moment, Notification.read_at.is_(None))
            .values(read_at=Notification.created_at)
        )


def _demo_company(session: Session, now: datetime) -> Company:
    company = Company(
        company_code=DEMO_COMPANY_CODE,
        name="PT Sumber Pangan Nusantara",
        is_whitelisted=True,
        description="Distributor of groceries and household goods for retail merchants in "
        "western, central and eastern Indonesia.",
        contact_phone="+62 21 5091 4000",
        payout_bank_name="Bank Mandiri",
        payout_account_number="1230004567890",
        payout_account_holder="PT Sumber Pangan Nusantara",
        created_at=now,
        updated_at=now,
    )
    session.add(company)
    session.flush()
    return company


def _demo_users(
    session: Session, company: Company, password_hash: str, now: datetime, *, password_changed_at: datetime
) -> None:
    for code, name, role, status in (
        ("admin", "Adi Pratama", Role.SYSTEM_ADMINISTRATOR, UserStatus.ACTIVE),
        ("pm", "Putri Maharani", Role.PRODUCT_MANAGER, UserStatus.ACTIVE),
        ("blocked", "Bima Santoso", Role.PRODUCT_MANAGER, UserStatus.BLOCKED),
    ):
        session.add(
            User(
                company_id=company.id,
                user_code=code,
                display_name=name,
                role=role,
                password_hash=password_hash,
                status=status,
                failed_login_count=5 if status == UserStatus.BLOCKED else 0,
                password_changed_at=password_changed_at,
                must_change_password=False,
                created_at=now,
            )
        )


def _demo_warehouses(session: Session, company: Company, now: datetime) -> list[Warehouse]:
    warehouses = []
    for code, name, address, zone, days, opens, closes, processing, sla in WAREHOUSES:
        warehouse = Warehouse(
            company_id=company.id,
            code=code,
            name=name,
            address=address,
            time_zone=zone,
            operating_days=days,
            opens_at=opens,
            closes_at=closes,
            processing_days=processing,
            delivery_sla_days=sla,
            observe_joint_leave=True,
            status=WarehouseStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
        session.add(warehouse)
        warehouses.append(warehouse)
    session.flush()
    return warehouses


def _demo_catalogue(
    session: Session, company: Company, warehouses: list[Warehouse], rng: random.Random, now: datetime
) -> None:
    number = 0
    for stem, unit, base_price in CATALOGUE:
        for variant in VARIANTS:
            number += 1
            product = Product(
                company_id=company.id,
                sku=f"SPN-{number:04d}",
                name=f"{stem}{variant}",
                description=f"{stem}{variant}, sold per {unit}.",
                unit=unit,
                status=ProductStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            session.add(product)
            session.flush()
            for warehouse in warehouses:
                # Eastern warehouses carry a freight premium, as sellers there price it.
                premium = {"Asia/Jakarta": 1.0, "Asia/Makassar": 1.06, "Asia/Jayapura": 1.15}[warehouse.time_zone]
                discount = 0.93 if variant else 1.0
                price = int(round(base_price * premium * discount * rng.uniform(0.97, 1.03), -2))
                session.add(
                    StockLevel(
                        product_id=product.id,
                        warehouse_id=warehouse.id,
                        on_hand=rng.randint(40, 400),
                        reserved=0,
                        price=price,
                        updated_at=now,
                    )
                )
                session.add(
                    PriceChange(
                        product_id=product.id,
                        warehouse_id=warehouse.id,
                        old_price=None,
                        new_price=price,
                        changed_by_user_id=None,
                        changed_at=now,
                        source="demo",
                    )
                )


def _demo_buyers(session: Session, rng: random.Random, now: datetime) -> None:
    for number in range(1, 53):
        city = rng.choice(CITIES)
        session.add(
            Buyer(
                buyer_code=f"LVM-{number:05d}",
                name=f"{rng.choice(SHOP_WORDS)} {rng.choice(SHOP_NAMES)} {city}",
                phone=f"+62 8{rng.randint(11, 59)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                city=city,
                address=f"Jl. Pasar {rng.choice(SHOP_NAMES)} No. {rng.randint(1, 200)}, {city}",
                # Two are not (or no longer) approved by the bank, to show that path.
                is_approved=number <= 50,
                created_at=now - timedelta(days=rng.randint(200, 600)),
            )
        )


def _other_company(session: Session, password_hash: str, now: datetime, *, password_changed_at: datetime) -> None:
    other = Company(
        company_code=OTHER_COMPANY_CODE,
        name="CV Belum Terdaftar",
        is_whitelisted=False,
        description="A Kopra Cash Management customer not (yet) whitelisted for Kopra Partnership.",
        created_at=now,
        updated_at=now,
    )
    session.add(other)
    session.flush()
    session.add(
        User(
            company_id=other.id,
            user_code="admin",
            display_name="Rina Wijaya",
            role=Role.SYSTEM_ADMINISTRATOR,
            password_hash=password_hash,
            status=UserStatus.ACTIVE,
            password_changed_at=password_changed_at,
            must_change_password=False,
            created_at=now,
        )
    )
