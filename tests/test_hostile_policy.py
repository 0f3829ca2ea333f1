"""Hostile or mistaken policy files (issue 12): values beyond any real policy are refused by
`policy check` with the file, line and field, before they can break an intake; nesting deeper
than the parser goes is one sentence, not a RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINI_PROFILE, make_desk
from conftest import cli_run as run

from kefu.core.calendar import Duration
from kefu.core.calendars import parse_year_text
from kefu.core.errors import InvalidInput
from kefu.core.policy import PolicyError, load_profile_text


@pytest.mark.parametrize(
    ("target", "why"),
    [("99999999999999999999wd", "longer than kefu takes"), ("400d", "at most 366 days"),
     ("9000h", "(8784 in this unit)"), ("1" * 5000 + "m", "longer than kefu takes")],
)  # fmt: skip
def test_a_target_beyond_a_year_is_refused_with_its_line(target: str, why: str) -> None:
    text = MINI_PROFILE.read_text(encoding="utf-8").replace(
        'first_response = "15m"', f'first_response = "{target}"'
    )
    with pytest.raises(PolicyError) as refused:
        load_profile_text(text, "shop.toml")
    message = str(refused.value)
    assert message.startswith("shop.toml, line 29: sla.P1.first_response:") and why in message


def test_a_year_is_still_a_target() -> None:
    assert (Duration.parse("366d"), Duration.parse("8784bh")) == (Duration(366, "d"), Duration(8784, "bh"))


def test_nesting_deeper_than_the_parser_is_one_sentence(
    tmp_path: Path, desk_path: Path | None = None
) -> None:
    deep = "a = " + "[" * 100_000 + "]" * 100_000
    with pytest.raises(PolicyError, match="nested deeper than any policy is"):
        load_profile_text(deep, "deep.toml")
    with pytest.raises(InvalidInput, match="nested deeper than any policy is"):
        parse_year_text(deep, "2027.toml")
    path = tmp_path / "deep.toml"
    path.write_text(deep, encoding="utf-8")
    checked = run(make_desk(tmp_path / "kefu.db"), "policy", "check", str(path))
    assert checked.exit_code == 2 and "nested deeper" in checked.stderr and "Traceback" not in checked.output
