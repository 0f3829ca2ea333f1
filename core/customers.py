"""Who a complaint comes from: phone and order numbers in one canonical form.

The same person writes their number many ways: `+86 138 1234 5678`, `0086 13812345678`,
`138-1234-5678`, full-width `１３８１２３４５６７８`; a landline with its area code and an
extension (`010-8888 6666 转 123`); a 400 / 800 service line. `phone_key` reads them with
`phonenumbers` (the maintained port of Google's libphonenumber) in the desk's region and gives
one canonical form, which is what kefu stores, links repeats by and searches:

- a mainland number: its national digits, with the trunk 0 of a landline (`13812345678`,
  `01088886666`, `4008208820`), an extension after a dash (`01088886666-123`);
- a number of another country: E.164 (`+16502530000`);
- a short service number (`95555`, `12315`): its digits.

Order and waybill numbers are compared without case, spaces, dashes or full-width forms
(`sf 100-2` and `SF1002` are one order): `order_key`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import SQLModel

REGION = "CN"
"""Numbers written without a country code are read as mainland numbers."""

_EXTENSION = re.compile(
    r"^(?P<number>.*?\d)\s*(?:转|分机|ext\.?|x|#|-)\s*(?P<ext>\d{1,6})\s*$", re.IGNORECASE
)
_SHORT = re.compile(r"\d{3,6}|[2-9]\d{6,7}")
"""Service numbers (95555, 12315) and a local landline written without its area code."""
_ORDER_NOISE = re.compile(r"[\s\-_]+")
_LETTER = re.compile(r"[^\W\d_]")


def _narrow(text: str) -> str:
    """Full-width digits, letters and signs as their ASCII selves (NFKC)."""
    return unicodedata.normalize("NFKC", text).strip()


_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_SEPARATORS = re.compile(r"[\s\-().]")


def phone_key(text: str, region: str = REGION) -> str | None:
    """The canonical form of a phone number as written, or None when it is not one."""
    raw = _narrow(text)
    if not raw:
        return None
    if region == REGION:
        # Most numbers are mainland mobiles: 11 digits from 13x to 19x, maybe after +86 / 0086.
        # Those need no parsing (phonenumbers takes ~50 µs a number, an import reads 100,000).
        mobile = _MOBILE.fullmatch(_SEPARATORS.sub("", raw))
        if mobile is not None:
            return mobile.group(1)
    found = _parse(raw, region)
    extension = None
    if found is None:
        match = _EXTENSION.match(raw)
        if match is not None:
            found, extension = _parse(match.group("number"), region), match.group("ext")
    if found is None:
        digits = re.sub(r"[\s\-()]", "", raw)
        return digits if _SHORT.fullmatch(digits) else None
    number, ext = found
    extension = extension or ext
    if number.country_code == phonenumbers.country_code_for_region(region):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        canonical = re.sub(r"\D", "", national)
    else:
        canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{canonical}-{extension}" if extension else canonical


def _parse(text: str, region: str) -> tuple[phonenumbers.PhoneNumber, str | None] | None:
    if _LETTER.search(text):  # phonenumbers would read 143815O2490 as a keypad word
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):  # a digit too many or too few: refused
        return None
    extension = number.extension or None
    number.extension = None
    return number, extension


def order_key(text: str) -> str:
    """An order or waybill number as compared: upper case, without spaces, dashes or
    full-width forms."""
    return _ORDER_NOISE.sub("", _narrow(text)).upper()


def search_phone(text: str, region: str = REGION) -> str | None:
    """What a search for `text` should look for among phone numbers: its canonical form when
    it reads as a whole number, else its digits (a piece of one)."""
    whole = phone_key(text, region)
    if whole is not None and not _SHORT.fullmatch(whole):
        return whole
    digits = re.sub(r"\D", "", _narrow(text))
    return digits or None


def is_partial_number(text: str, region: str = REGION) -> bool:
    """Whether a search for `text` reads as a number that may be the end of longer stored ones:
    a local landline without its area code (88886666 is 010-8888 6666 too) or a service
    number. Such a search looks for the digits anywhere, not only for the whole number."""
    whole = phone_key(text, region)
    return whole is not None and _SHORT.fullmatch(whole) is not None


# -- the customer record ----------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """What a new case says of its customer (canonical phone, e-mail, name)."""

    phone: str | None
    email: str | None
    name: str | None


def identity(phone: str | None, email: str | None) -> tuple[str, str] | None:
    """The key a customer is known by: their phone, else their e-mail (None: anonymous)."""
    if phone:
        return ("phone", phone)
    if email:
        return ("email", email.strip().lower())
    return None


def customers_for(conn: Any, people: Sequence[Who], now: datetime) -> list[int | None]:
    """The customer record of each new case's customer, created when new (the latest name
    and a first e-mail recorded on it); in the caller's transaction, a few statements for a
    whole batch whatever its size (typed in and imported alike)."""
    table = SQLModel.metadata.tables["customers"]
    keys = [identity(p.phone, p.email) for p in people]
    known = _known(conn, table, {k for k in keys if k is not None})
    fresh: dict[tuple[str, str], Who] = {}
    for key, who in zip(keys, people, strict=True):
        if key is not None and key not in known:
            fresh.setdefault(key, who)
    if fresh:
        rows = [
            {"phone": w.phone, "email": w.email, "name": w.name, "created_at": now} for w in fresh.values()
        ]
        conn.execute(insert(table), rows)
        known.update(_known(conn, table, set(fresh)))
    inserted = {known[key]: who for key, who in fresh.items()}
    latest: dict[int, Who] = {}
    out: list[int | None] = []
    for key, who in zip(keys, people, strict=True):
        customer_id = known[key] if key is not None else None
        if customer_id is not None:
            latest[customer_id] = who
        out.append(customer_id)
    changed = [
        {"i": customer_id, "n": who.name, "e": who.email}
        for customer_id, who in latest.items()
        if inserted.get(customer_id) != who and (who.name or who.email)
    ]
    if changed:  # the latest name given; a first e-mail
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("i"))
            .values(
                name=func.coalesce(bindparam("n"), table.c.name),
                email=func.coalesce(table.c.email, bindparam("e")),
            ),
            changed,
        )
    return out


def _known(conn: Any, table: Any, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    phones = {k[1] for k in keys if k[0] == "phone"}
    emails = {k[1] for k in keys if k[0] == "email"}
    if phones:
        for customer_id, phone in conn.execute(
            select(table.c.id, table.c.phone).where(table.c.phone.in_(phones))
        ):
            found[("phone", phone)] = customer_id
    if emails:
        query = select(table.c.id, func.lower(table.c.email)).where(
            func.lower(table.c.email).in_(emails), table.c.phone.is_(None)
        )
        for customer_id, email in conn.execute(query.order_by(table.c.id)):
            found.setdefault(("email", email), customer_id)
    return found
