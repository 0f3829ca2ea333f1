"""customer identity: phone and order numbers in one canonical form

Re-writes every case's `customer_phone` and `order_no` the way kefu.core.customers now stores
them (so `+86 138 1234 5678`, `0086 13812345678` and `13812345678` are one customer, `sf 100`
and `SF100` one order), with the rule frozen here: a migration must not change meaning when the
code does. A number that does not read as one is left as it was.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import re
import unicodedata
from collections.abc import Sequence

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_EXTENSION = re.compile(
    r"^(?P<number>.*?\d)\s*(?:转|分机|ext\.?|x|#|-)\s*(?P<ext>\d{1,6})\s*$", re.IGNORECASE
)
_SHORT = re.compile(r"\d{3,6}")
_LETTER = re.compile(r"[^\W\d_]")


def _parse(text: str) -> tuple[phonenumbers.PhoneNumber, str | None] | None:
    if _LETTER.search(text):
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    extension = number.extension or None
    number.extension = None
    return number, extension


def phone_key(text: str) -> str | None:
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        return None
    found, extension = _parse(raw), None
    if found is None:
        match = _EXTENSION.match(raw)
        if match is not None:
            found, extension = _parse(match.group("number")), match.group("ext")
    if found is None:
        digits = re.sub(r"[\s\-()]", "", raw)
        return digits if _SHORT.fullmatch(digits) else None
    number, ext = found
    extension = extension or ext
    if number.country_code == 86:
        canonical = re.sub(
            r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        )
    else:
        canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{canonical}-{extension}" if extension else canonical


def order_key(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", unicodedata.normalize("NFKC", text).strip()).upper()


def upgrade() -> None:
    conn = op.get_bind()
    select = sa.text(
        "SELECT id, customer_phone, order_no FROM cases WHERE id > :after "
        "AND (customer_phone IS NOT NULL OR order_no IS NOT NULL) ORDER BY id LIMIT :batch"
    )
    update = sa.text("UPDATE cases SET customer_phone = :phone, order_no = :order_no WHERE id = :id")
    after = 0
    while chunk := conn.execute(select, {"after": after, "batch": BATCH}).all():
        after = chunk[-1].id
        changed = []
        for row in chunk:
            phone = (phone_key(row.customer_phone) or row.customer_phone) if row.customer_phone else None
            order = (order_key(row.order_no) or row.order_no) if row.order_no else None
            if (phone, order) != (row.customer_phone, row.order_no):
                changed.append({"id": row.id, "phone": phone, "order_no": order})
        if changed:
            conn.execute(update, changed)


def downgrade() -> None:
    """The canonical forms stay (they are phone and order numbers still)."""
