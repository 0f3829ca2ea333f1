"""UI words in Chinese and English: `tr("Claim", "zh")` → "认领".

The English text is the key; anything without a Chinese entry stays English. Labels that come
from the policy (channels, categories, severities, ...) and from the transition table (actions,
statuses) are already bilingual in the core and are not repeated here.
"""

from __future__ import annotations

import re

from kefu.core.workflow import TRANSITIONS

ZH: dict[str, str] = {
    # chrome
    "Help": "帮助",
    "Language": "语言",
    "中/EN": "中/EN",
    "Dashboard": "看板",
    "Quit": "退出",
    "Back": "返回",
    "Open": "打开",
    "New complaint": "新投诉",
    "Search": "搜索",
    "Sort": "排序",
    "Filter": "筛选",
    "Next page": "下一页",
    "Prev page": "上一页",
    "Next queue": "下一队列",
    "Prev queue": "上一队列",
    "Refresh": "刷新",
    "Period": "周期",
    "Save": "保存",
    "Cancel": "取消",
    "Clear": "清除",
    "Keys": "按键",
    "Note": "备注",
    "Log contact": "记录联系",
    "Command palette": "命令面板",
    "palette": "命令",
    # queue screen
    "Code": "工单号",
    "Received": "受理时间",
    "Channel": "渠道",
    "Category": "类别",
    "Severity": "级别",
    "Sev": "级",
    "Customer": "客户",
    "Owner": "负责人",
    "Status": "状态",
    "SLA": "时限",
    "Revisit due": "回访时间",
    "Time": "时间",
    "page {page}": "第 {page} 页",
    "rows {first}–{last}": "第 {first}–{last} 条",
    "no cases here": "此队列暂无工单",
    "sorted by due": "按到期排序",
    "sorted by received": "按受理时间排序",
    "more: ]": "下一页: ]",
    "filter": "筛选",
    "loading…": "加载中…",
    "Sorted by deadline": "按到期时间排序",
    "Sorted by receipt, newest first": "按受理时间排序（最新在前）",
    "No case selected": "未选中工单",
    "Claimed {code}": "已认领 {code}",
    "Recorded {code}": "已受理 {code}",
    "{code}: {action} done": "{code}：{action}完成",
    "Note added to {code}": "已为 {code} 添加备注",
    "Contact logged on {code}": "已为 {code} 记录联系",
    "The dashboard is not available yet": "看板尚未提供",
    "Last page": "已是最后一页",
    "First page": "已是第一页",
    "Switched to English": "已切换为英文",
    "Switched to Chinese": "已切换为中文",
    # case screen
    "Case": "工单",
    "Deadlines": "时限",
    "History": "处理记录",
    "Details": "详情",
    "Actions": "可执行操作",
    "no actions for you here": "您在此状态下无可执行操作",
    "First response": "首次响应",
    "Resolution": "解决",
    "Coordination": "协调",
    "due": "到期",
    "met": "已达成",
    "met late": "逾期达成",
    "breached": "已超时",
    "at risk": "即将超时",
    "paused": "已暂停",
    "ok": "正常",
    "left": "剩余",
    "overdue": "超时",
    "Phone": "电话",
    "E-mail": "邮箱",
    "Order": "订单号",
    "Against": "投诉对象",
    "Description": "投诉内容",
    "Demand": "客户诉求",
    "Incident": "发生",
    "Place": "地点",
    "Subcategory": "子类",
    "Complexity": "复杂度",
    "Party": "责任方",
    "Department": "部门",
    "Compensation": "补偿",
    "Resolution type": "解决方案",
    "Satisfied": "满意",
    "Score": "评分",
    "Reopened": "重开次数",
    "Repeat of": "重复投诉",
    "Links": "关联",
    "Revisits": "回访",
    "Attachments": "附件",
    "Created by": "创建人",
    "Source": "来源",
    "Policy": "政策版本",
    "yes": "是",
    "no": "否",
    "simple": "简单",
    "complex": "复杂",
    "nobody": "无",
    "Loading case…": "正在加载工单…",
    "{code} changed: now {status}": "{code} 已变更：现为 {status}",
    # forms
    "Required": "必填",
    "{field} is required": "请填写{field}",
    "Amount": "金额",
    "Compensation kind": "补偿方式",
    "Reason": "原因",
    "Duplicate of": "重复于",
    "Outcome": "回访结果",
    "Assign to": "指派给",
    "Contact by": "联系方式",
    "Standard phrase": "标准话术",
    "Text": "内容",
    "(none)": "（无）",
    "(choose)": "（请选择）",
    "amount must be a number": "金额必须是数字",
    "score must be 1 to 5": "评分须为 1–5",
    "a {resolution} resolution needs an amount": "{resolution}需要填写金额",
    "rejecting as duplicate needs the original case code": "作为重复驳回需填写原工单号",
    "an unsatisfied revisit needs the reason in the note": "回访不满意需在备注中说明原因",
    "ctrl+s save · esc cancel": "ctrl+s 保存 · esc 取消",
    "call": "电话",
    "message": "消息",
    "email": "邮件",
    "visit": "面访",
    "spam": "无效/骚扰",
    "duplicate": "重复投诉",
    "satisfied": "满意",
    "unsatisfied": "不满意",
    "unreachable": "联系不上",
    "confirmed": "客户确认",
    "repeat": "重复投诉",
    "repeat_of_this": "被重复投诉",
    "duplicate_of_this": "被标为重复",
    "Queues": "队列",
    # intake
    "Customer name": "客户姓名",
    "Target": "投诉对象",
    "Target name": "对象名称",
    "Incident place": "发生地点",
    "Repeat complaint: {codes}": "重复投诉：{codes}",
    "{count} earlier case(s) from this customer in the last {days} days": (
        "该客户近 {days} 天内已有 {count} 件投诉"
    ),
    "Record": "受理",
    # search
    "Search by code, phone, order number or words": "按工单号、电话、订单号或关键词搜索",
    "{count} found": "找到 {count} 件",
    "nothing found": "未找到",
    # filter
    "Any": "全部",
    "Filter queue": "筛选队列",
    # help
    "Keys on this screen": "本屏按键",
    "Everywhere": "全局",
    "Queues are tabs; Enter opens a case; the footer lists the keys.": (
        "队列以标签页显示；回车打开工单；底部列出可用按键。"
    ),
    "Dimmed actions exist in this state but not for you; press one to hear why.": (
        "灰色操作表示当前状态存在但您无权执行；按下可查看原因。"
    ),
    "Close": "关闭",
    # sort & roles
    "Sort by deadline": "按到期排序",
    "Sort by receipt": "按受理排序",
}

for _transition in TRANSITIONS:
    ZH.setdefault(*_transition.label)

SHORT_STATUS: dict[str, tuple[str, str]] = {
    "new": ("New", "已受理"),
    "triaged": ("Triaged", "已分类"),
    "in_progress": ("Working", "处理中"),
    "escalated": ("Escal.", "升级"),
    "pending_customer": ("Waiting", "待客户"),
    "pending_approval": ("Approv.", "待审批"),
    "resolved": ("Resolv.", "待确认"),
    "closed": ("Closed", "已结案"),
}
"""Status labels that fit six cells, for 80-column tables."""

EVENT_LABELS: dict[str, tuple[str, str]] = {
    "create": ("Recorded", "受理"),
    "note": ("Note", "备注"),
    "contact": ("Contact", "联系客户"),
    "link": ("Linked", "关联"),
    "attach": ("Evidence attached", "添加附件"),
    "breach": ("Deadline breached", "超时"),
    "auto_close": ("Closed automatically", "自动结案"),
    "anonymise": ("Personal data removed", "个人信息已清除"),
}
"""History entries that are not lifecycle actions."""


def event_label(action: str, lang: str) -> str:
    en, zh = EVENT_LABELS.get(action, (action.replace("_", " "), action))
    return zh if lang == "zh" else en


FIELD_NAMES: dict[str, tuple[str, str]] = {
    "status": ("status", "状态"),
    "channel": ("channel", "渠道"),
    "category": ("category", "类别"),
    "subcategory": ("subcategory", "子类"),
    "severity": ("severity", "级别"),
    "complexity": ("complexity", "复杂度"),
    "party": ("party", "责任方"),
    "department": ("department", "部门"),
    "owner": ("owner", "负责人"),
    "received_at": ("received", "受理时间"),
    "resolution": ("resolution", "解决方案"),
    "resolution_note": ("resolution note", "方案说明"),
    "compensation_amount": ("compensation", "补偿金额"),
    "compensation_kind": ("compensation kind", "补偿方式"),
    "satisfied": ("satisfied", "满意"),
    "satisfaction_score": ("score", "评分"),
    "close_reason": ("close reason", "结案原因"),
    "reopen_count": ("reopened", "重开次数"),
    "repeat_of": ("repeat of", "重复投诉"),
    "duplicate_of": ("duplicate of", "重复于"),
    "revisit_outcome": ("revisit", "回访结果"),
    "revisit_attempts": ("revisit attempts", "回访次数"),
    "revisit_retry_at": ("next revisit", "下次回访"),
    "first_response_at": ("first response", "首次响应"),
    "escalated_at": ("escalated", "升级时间"),
    "paused_at": ("paused", "暂停时间"),
    "resolved_at": ("resolved", "解决时间"),
    "closed_at": ("closed", "结案时间"),
    "due_first_response": ("first response due", "首次响应时限"),
    "due_resolution": ("resolution due", "解决时限"),
    "due_coordination": ("coordination due", "协调时限"),
    "contact": ("contact", "联系方式"),
    "phrase": ("phrase", "话术"),
    "attachment": ("attachment", "附件"),
}
"""Names of case fields as they appear in the history."""


PHRASE_NAMES: dict[str, tuple[str, str]] = {
    "greeting": ("Greeting", "问候"),
    "apology": ("Apology", "致歉"),
    "restate": ("Restate the complaint", "复述诉求"),
    "progress": ("Progress update", "进度反馈"),
    "resolution_notice": ("Resolution notice", "告知处理结果"),
    "revisit": ("Revisit", "回访"),
    "closing": ("Closing", "结束语"),
}
"""Names for the standard phrases profiles usually define; other codes are shown as they are."""


def phrase_name(code: str, lang: str) -> str:
    en, zh = PHRASE_NAMES.get(code, (code, code))
    return zh if lang == "zh" else en


def field_name(name: str, lang: str) -> str:
    en, zh = FIELD_NAMES.get(name, (name.replace("_", " "), name))
    return zh if lang == "zh" else en


def short_status(status: str, lang: str) -> str:
    en, zh = SHORT_STATUS.get(status, (status, status))
    return zh if lang == "zh" else en


def tr(text: str, lang: str, **values: object) -> str:
    """`text` in `lang`, with `{name}` placeholders filled from `values`."""
    template = ZH.get(text, text) if lang == "zh" else text
    return template.format(**values) if values else template


WORDS: dict[str, tuple[str, str]] = {
    "simple": ("Simple", "简单"),
    "complex": ("Complex", "复杂"),
}
"""Stored words (codes) shown as words in both languages."""

LINK_KINDS: dict[str, tuple[str, str]] = {
    "repeat": ("repeat of", "重复投诉于"),
    "duplicate": ("duplicate of", "重复于"),
    "repeat_of_this": ("repeated by", "被重复投诉"),
    "duplicate_of_this": ("marked duplicate by", "被标为重复"),
}
"""How a linked case relates to this one, as `core.lifecycle.case_links` names it."""


def word(code: str, lang: str) -> str:
    """A stored word (complexity, ...) in the UI language; unknown words via `tr`."""
    if code in WORDS:
        en, zh = WORDS[code]
        return zh if lang == "zh" else en
    return tr(code, lang)


def link_kind(kind: str, lang: str) -> str:
    en, zh = LINK_KINDS.get(kind, (kind.replace("_", " "), kind))
    return zh if lang == "zh" else en


SYSTEM_NOTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"repeat complaint: (?P<codes>.+)"), "重复投诉：{codes}"),
    (re.compile(r"severity escalates on intake"), "受理时级别自动升级"),
]
"""Notes the core writes itself (in English), and how the Chinese UI shows them."""


def system_note(note: str | None, lang: str) -> str | None:
    """A note as shown: the core's own notes translated in Chinese, people's notes as typed."""
    if note is None or lang != "zh":
        return note
    for pattern, template in SYSTEM_NOTES:
        match = pattern.fullmatch(note)
        if match:
            return template.format(**match.groupdict())
    return note
