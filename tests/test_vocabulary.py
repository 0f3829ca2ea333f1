"""Words as shops write them (issue 13): each code in a profile may list aliases; the shipped
profiles carry their source documents' words and the everyday ones; matching ignores case,
width and spacing; an unknown word's hint lists labels in the reader's language and the closest
matches; an alias that would mean two codes is refused with its line."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from kefu.core.errors import InvalidInput
from kefu.core.lifecycle import subcategory_code, vocabulary_code
from kefu.core.policy import PolicyError, Profile, load_profile_text, resolve_profile_source


def shipped(name: str) -> Profile:
    return load_profile_text(*resolve_profile_source(name))


@pytest.mark.parametrize(
    ("profile", "word", "code"),
    [
        # the express source document's own channel words (受理渠道: 客服热线、在线平台、邮件、上门)
        ("express", "在线平台", "online"), ("express", "邮件", "email"), ("express", "上门", "walk_in"),
        ("express", "12305", "regulator"), ("express", "淘宝", "ecommerce_platform"),
        # everyday words
        ("express", "邮箱", "email"), ("express", "电话", "hotline"), ("express", "热线", "hotline"),
        ("express", "官网", "online"), ("express", "微信", "online"),
        ("ecommerce", "电话", "hotline"), ("ecommerce", "12315", "regulator"),
        ("ecommerce", "京东", "platform_ticket"),
        ("mall", "服务台", "desk"), ("mall", "大众点评", "social"), ("mall", "12315", "regulator"),
        ("livestream", "弹幕", "live_comment"), ("livestream", "抖音", "platform_ticket"),
        ("livestream", "微信", "online_chat"), ("livestream", "淘宝", "platform_ticket"),
        ("ecommerce", "官网", "online_chat"), ("express", "12315", "regulator"),
    ],
)  # fmt: skip
def test_the_shipped_profiles_know_the_words_shops_use(profile: str, word: str, code: str) -> None:
    assert vocabulary_code(shipped(profile), "channel", word) == code


@pytest.mark.parametrize(
    "written", ["投诉邮箱", "投诉 邮箱", " 投诉邮箱 ", "EMAIL", "Ｅｍａｉｌ", "e-mail", "E-MAIL"]
)
def test_case_width_and_spacing_do_not_matter(written: str) -> None:
    assert vocabulary_code(shipped("express"), "channel", written) == "email"


def test_sub_categories_have_aliases_too() -> None:
    mall = shipped("mall")
    assert subcategory_code(mall, "safety", "摔伤") == "injury"
    assert subcategory_code(mall, "safety", "人身 伤害") == "injury"
    assert vocabulary_code(mall, "category", "安全") == "safety"


def test_an_unknown_word_is_answered_with_labels_and_the_closest_ones() -> None:
    express = shipped("express")
    with pytest.raises(InvalidInput) as refused:
        vocabulary_code(express, "channel", "邮件箱")
    assert refused.value.text("zh").startswith(
        "渠道：没有「邮件箱」这一项——是否指「投诉邮箱」？可选：客服热线、"
    )
    assert "did you mean email? Choose one of: hotline, online, email" in refused.value.text("en")
    with pytest.raises(InvalidInput) as nothing_close:
        vocabulary_code(express, "channel", "传真")
    assert nothing_close.value.text("zh") == (
        "渠道：没有「传真」这一项；可选：客服热线、官网/App在线投诉、投诉邮箱、上门投诉、"
        "邮政管理部门转办（12305申诉）、电商平台转派"
    )


def test_an_alias_meaning_two_codes_is_refused_with_its_line() -> None:
    text, origin = resolve_profile_source("express")
    lines = text.split("\n")
    at = lines.index("[channels.walk_in]") + 3
    assert lines[at].startswith("aliases = ")
    lines[at] = 'aliases = ["上门", "电话"]'  # 电话 is the hotline's already
    with pytest.raises(PolicyError) as refused:
        load_profile_text("\n".join(lines), "shop.toml")
    message = str(refused.value)
    assert message.startswith(
        f"shop.toml, line {at + 1}: channels.walk_in.aliases: '电话' would mean both 'hotline'"
    )


def test_an_import_takes_the_words_of_a_real_sheet(tmp_path: Path) -> None:
    db = tmp_path / "kefu.db"
    kefu = [str(Path(sys.executable).parent / "kefu"), "--db", str(db)]
    assert subprocess.run([*kefu, "init", "--profile", "express"], capture_output=True).returncode == 0
    sheet = tmp_path / "登记表.csv"
    with sheet.open("w", newline="", encoding="utf-8-sig") as f:
        rows = csv.writer(f)
        rows.writerow(["工单号", "渠道", "问题类型", "投诉内容", "投诉时间"])
        for n, (channel, category) in enumerate(
            [
                ("在线平台", "延误"),
                ("邮件", "丢件"),
                ("上门", "态度"),
                ("１２３０５", "运费"),
                ("ＥＭＡＩＬ", "破损"),
            ]
        ):
            rows.writerow([f"W{n}", channel, category, "快件问题", "2026-11-20 10:00"])
    done = subprocess.run(
        [*kefu, "import", str(sheet)], capture_output=True, text=True, env={"KEFU_LANG": "en"}
    )
    assert done.returncode == 0, done.stderr
    assert "5 rows, 5 imported" in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("written", "amount"), [("¥20.00", 20.0), ("20元", 20.0), ("1,280", 1280.0), ("￥ 30", 30.0)]
)
def test_money_as_people_write_it(written: str, amount: float) -> None:
    from kefu.core.lifecycle import amount_value, score_value

    assert amount_value(written, "amount") == amount
    assert score_value("5分") == 5
