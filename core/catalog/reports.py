"""Catalog entries: reports, spot checks (audits) and revisits (see kefu.core.catalog).

English keeps the sentences scripts and tests know; Chinese names options (`--from`) and codes
as the user types them. The report table's headings are here too; the CSV header and the
JSON keys are not: they are a format for programs and never translated.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- what a role may not do (the `what` of refusal.role_may_not)
    "do.see_agent_kpis": ("see KPIs per agent", "查看按客服统计的指标"),
    "do.draw_audit_samples": ("draw audit samples", "抽取抽检样本"),
    "do.score_audit_samples": ("score audit samples", "为抽检样本评分"),
    "do.read_audit_reports": ("read audit reports", "查看抽检报告"),
    # -- report periods and options
    "report.period_backwards": (
        "the period ends ({last}) before it starts ({first})",
        "统计期的结束日期（{last}）早于开始日期（{first}）",
    ),
    "report.not_a_date": (
        "{option} {text!r} is not a date; use YYYY-MM-DD (or YYYY-MM for a whole month)",
        "{option}「{text}」不是日期；请写成 YYYY-MM-DD（整月写 YYYY-MM）",
    ),
    "report.year_out_of_range": (
        "{option} {text!r} is out of range; reports cover the years {first}–{last}",
        "{option}「{text}」超出范围；报表只涵盖 {first}–{last} 年",
    ),
    "report.from_after_to": ("--from {first} is after --to {last}", "--from {first} 晚于 --to {last}"),
    "report.by_choices": ("--by must be one of: {choices}", "--by 须为以下之一：{choices}"),
    "report.dashboard_period": (
        "dashboard period must be one of: {choices}",
        "看板统计期须为以下之一：{choices}",
    ),
    "report.unmasked_refused": (
        "{role:a_role} may not export customers' personal data unmasked; "
        "leave out --unmasked to get masked names, phones and e-mails",
        "{role:role}无权导出未脱敏的客户个人信息；去掉 --unmasked 即可导出脱敏后的姓名、电话和邮箱",
    ),
    # -- the report table (`kefu report`): headings, labels, handling times
    "report.by.category": ("category", "类别"),
    "report.by.channel": ("channel", "渠道"),
    "report.by.department": ("department", "部门"),
    "report.by.party": ("party", "责任方"),
    "report.by.agent": ("agent", "客服"),
    "report.by.day": ("day", "日期"),
    "report.col.volume": ("volume", "投诉量"),
    "report.col.on_time": ("on-time", "处理及时率"),
    "report.col.satisfied": ("satisfied", "满意度"),
    "report.col.repeat": ("repeat", "重复投诉率"),
    "report.col.first_response": ("1st response", "首次响应达标率"),
    "report.col.reopen": ("reopen", "重开率"),
    "report.col.handling": ("handling avg/P90", "处理时长 平均/P90"),
    "report.col.compensation": ("compensation {currency}", "补偿（{currency}）"),
    "report.col.breaches": ("breaches", "超时"),
    "report.total": ("total", "合计"),
    "report.minutes": ("{minutes:.0f}m", "{minutes:.0f}分钟"),
    "report.business_hours": ("{hours:.1f}bh", "{hours:.1f}工作小时"),
    # -- spot checks (`kefu audit`)
    "audit.n_range": ("--n must be from 1 to {most}, not {n}", "--n 须在 1 到 {most} 之间，不能是 {n}"),
    "audit.seed_range": (
        "--seed must be a whole number from 0 to 2^63-1, not {seed}",
        "--seed 须为 0 到 2^63-1 之间的整数，不能是 {seed}",
    ),
    "audit.none_drawn": (
        "no audit sample has been drawn yet; draw one with `kefu audit sample`",
        "还没有抽取过抽检样本；请用 `kefu audit sample` 抽取",
    ),
    "audit.no_batch": ("no audit batch {batch}", "没有抽检批次 {batch}"),
    "audit.item_format": (
        "--item {pair!r}: write ITEM=POINTS, e.g. recorded_complete=2",
        "--item「{pair}」：请写成 ITEM=POINTS，例如 recorded_complete=2",
    ),
    "audit.item_not_whole": (
        "--item {pair!r}: points must be a whole number",
        "--item「{pair}」：分数须为整数",
    ),
    "audit.nothing_to_score": (
        "give at least one --item ITEM=POINTS (or a --note)",
        "请至少给出一个 --item ITEM=POINTS（或一条 --note）",
    ),
    "audit.case_not_in_batch": (
        "{code} is not in audit batch {batch}; draw one with `kefu audit sample`",
        "{code} 不在抽检批次 {batch} 中；请用 `kefu audit sample` 抽取",
    ),
    "audit.case_not_sampled": (
        "{code} is not in any audit sample; draw one with `kefu audit sample`",
        "{code} 不在任何抽检样本中；请用 `kefu audit sample` 抽取",
    ),
    "audit.unknown_item": (
        "unknown checklist item {item!r}; items are: {items}",
        "没有「{item}」这个检查项；检查项有：{items}",
    ),
    "audit.points_range": (
        "{item}: points must be from 0 to {most}, not {points}",
        "{item}：分数须在 0 到 {most} 之间，不能是 {points}",
    ),
    # -- revisits (`kefu revisit schedule`)
    "revisit.cancelled_reopened": (
        "cancelled: the case was reopened before the revisit",
        "已取消：回访前工单已重新打开",
    ),
}
WORDS: dict[str, str] = {}
