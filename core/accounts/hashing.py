"""Password hashing: bcrypt, the same algorithm streamlit-authenticator's Hasher uses.

core/ may not import Streamlit (the library's Hasher does), so bcrypt is called directly here.
The password is first reduced with SHA-256 (base64, 44 bytes) because bcrypt only reads 72 bytes
(and bcrypt 5 refuses longer input): a long passphrase stays whole. Whitespace is kept as typed.
"""

from __future__ import annotations

import base64
import hashlib
import os

import bcrypt


#: bcrypt cost; tests lower it through KOPRA_BCRYPT_ROUNDS to stay fast.
def _rounds() -> int:
    return int(os.environ.get("KOPRA_BCRYPT_ROUNDS", "12"))


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=_rounds())).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:  # not a bcrypt hash: never matches
        return False


_DUMMY_HASH: dict[int, str] = {}


def burn_verification_time(password: str) -> None:
    """Spend what one real verification costs, so unknown users answer as slowly as known ones."""
    rounds = _rounds()
    if rounds not in _DUMMY_HASH:
        _DUMMY_HASH[rounds] = hash_password("kopra-timing-equaliser")
    verify_password(password, _DUMMY_HASH[rounds])
