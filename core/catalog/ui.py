"""Catalog entries: the TUI — its words (`WORDS`, keyed by their English) and its sentences.

A word here has no value in it and reads the same wherever it is shown (a heading, a button,
a key, a column). Anything with a value in it (a code, a count, a label) is a `ui.*` message,
and so is a word whose Chinese depends on where it is shown (a KPI's name on the dashboard is
not the word it is made of). Stored codes are not here: statuses, actions, fields, deadline
states, link kinds and stored words have their labels in `kefu.core.workflow`, policy
vocabularies in the profile.

Where a TUI sentence needs a label in English too (the TUI shows "Propose resolution", not the
code `propose`), the screen passes the label already rendered in its language as the value.
"""

ICON = "客"
"""The app's icon in the header: the same character in every language (a mark, not a word)."""

LANGUAGE_KEY = "中/EN"
"""The language toggle's label (F2): in both languages, so either reader finds the way back."""

PHRASE_NAMES: dict[str, tuple[str, str]] = {
    "greeting": ("Greeting", "问候"),
    "apology": ("Apology", "致歉"),
    "restate": ("Restate the complaint", "复述诉求"),
    "progress": ("Progress update", "进度反馈"),
    "resolution_notice": ("Resolution notice", "告知处理结果"),
    "revisit": ("Revisit", "回访"),
    "closing": ("Closing", "结束语"),
}
"""Names of the standard phrases profiles usually define (`[phrases]` codes); a profile's other
phrase codes are shown as they are."""


def phrase_name(code: str, lang: str) -> str:
    """A standard phrase's name in `lang` (its code when it has none)."""
    en, zh = PHRASE_NAMES.get(code, (code, code))
    return zh if lang == "zh" else en


MESSAGES: dict[str, tuple[str, str]] = {
    # -- chrome
    "ui.signed_in": ("{name} ({role:role})", "{name}（{role:role}）"),
    "ui.labelled": ("{label}: {value}", "{label}：{value}"),
    "ui.assumed_years": ("({years}: weekdays assumed)", "（{years}年暂按周一至周五计）"),
    "ui.record_label": ("{clock} #{instance}", "{clock} 第{instance}次"),
    "ui.other_cases": ("{count}: {cases}", "{count} 个：{cases}"),
    "ui.contact_corrected": ("{code}: customer details corrected", "{code}：客户信息已更正"),
    "ui.paid_ledger": ("{paid} {currency} ({ledger})", "{paid} {currency}（{ledger}）"),
    "ui.merged_case": (
        "{code} received {received} by {channel}, {who}: {description}",
        "{code}（{received} {channel}受理，{who}）：{description}",
    ),
    "ui.approve_intro": (
        "Asked for: {amount} {currency} {kind}. The case has paid {paid} {currency}; {after} {currency} "
        "if the customer accepts (approval above {threshold} {currency}).",
        "本次补偿 {amount} {currency}（{kind}）。本案已付 {paid} {currency}，客户接受后共 {after} {currency}"
        "（超过 {threshold} {currency} 需审批）。",
    ),
    "ui.other_cases_more": ("{count}: {cases} (and {more} more)", "{count} 个：{cases}（另有 {more} 个）"),
    "ui.dashboard_failed": ("dashboard: {error}", "看板出错：{error}"),
    # -- queues and search
    "ui.page": ("page {page}", "第 {page} 页"),
    "ui.rows": ("rows {first}–{last}", "第 {first}–{last} 条"),
    "ui.rows_of": ("rows {first}–{last} / {total}", "第 {first}–{last} 条，共 {total} 条"),
    "ui.filtered": ("filter: {values:label}", "筛选：{values:label}"),
    "ui.found": ("{count} found", "找到 {count} 件"),
    "ui.found_more": ("{count}+ found", "找到 {count} 件以上"),
    "ui.claimed": ("Claimed {code}", "已认领 {code}"),
    "ui.recorded": ("Recorded {code}", "已受理 {code}"),
    # -- a case
    "ui.case_changed": ("{code} changed: now {status}", "{code} 已变更：现为 {status}"),
    "ui.moved": ("{code}: {action} → {status}", "{code}：{action}，状态变为「{status}」"),
    "ui.note_added": ("Note added to {code}", "已为 {code} 添加备注"),
    "ui.contact_logged": ("Contact logged on {code}", "已为 {code} 记录联系"),
    # -- forms
    "ui.field_required": ("{field} is required", "请填写{field}"),
    "ui.field_to_choose": ("{field} is required", "请选择{field}"),
    "ui.amount_in": ("Amount ({currency})", "金额（{currency}）"),
    "ui.user_option": ("{name} ({login}, {role:role})", "{name}（{login}，{role:role}）"),
    "ui.case_status": ("{code} ({status})", "{code}（{status}）"),
    "ui.repeat_warning": (
        "Repeat complaint: {cases} — {count} earlier case(s) from this customer in the last {days} days",
        "重复投诉：{cases}——该客户近 {days} 天内已有 {count} 件投诉",
    ),
    # -- the dashboard
    "ui.as_of": ("as of {when}", "截至 {when}"),
    "ui.kpi.volume": ("Volume", "投诉量"),
    "ui.kpi.on_time": ("On-time", "处理及时率"),
    "ui.kpi.satisfaction": ("Satisfaction", "客户满意度"),
    "ui.kpi.repeat": ("Repeat", "投诉重复率"),
    "ui.kpi.first_response": ("First response", "首次响应达标率"),
    "ui.kpi.reopen": ("Reopen", "重开率"),
    "ui.kpi.average": ("avg {time}", "平均处理 {time}"),
    "ui.kpi.series.on_time": ("on-time", "及时"),
    "ui.kpi.series.satisfied": ("satisfied", "满意"),
    "ui.kpi.series.repeat": ("repeat", "重复"),
    "ui.overdue_now": ("open cases overdue now: ", "当前已超时未结工单："),
}

WORDS: dict[str, str] = {
    # -- chrome: keys everywhere
    "Help": "帮助",
    "Language": "语言",
    "Dashboard": "看板",
    "Quit": "退出",
    "Back": "返回",
    "Open": "打开",
    "Close": "关闭",
    "Command palette": "命令面板",
    "palette": "命令",
    "Switched to English": "已切换为英文",
    "Switched to Chinese": "已切换为中文",
    "The dashboard is not available yet": "看板尚未提供",
    # -- help
    "Keys on this screen": "本屏按键",
    "Everywhere": "全局",
    "Queues are tabs; Enter opens a case; the footer lists the keys.": (
        "队列以标签页显示；回车打开工单；底部列出可用按键。"
    ),
    "Dimmed actions exist in this state but not for you; press one to hear why.": (
        "灰色操作表示当前状态存在但您无权执行；按下可查看原因。"
    ),
    # -- queues and search
    "New complaint": "新投诉",
    "Search": "搜索",
    "Sort": "排序",
    "Filter": "筛选",
    "Filter queue": "筛选队列",
    "Next page": "下一页",
    "Prev page": "上一页",
    "Next queue": "下一队列",
    "Prev queue": "上一队列",
    "Code": "工单号",
    "Received": "受理时间",
    "Waiting": "等待客户",
    "Delivered on": "签收日期",
    "Goods returned on": "退货签收日期",
    "Other cases": "该客户其他工单",
    "Time": "时间",
    "Revisit due": "回访时间",
    "Channel": "渠道",
    "Category": "类别",
    "Severity": "级别",
    "Sev": "级",
    "Customer": "客户",
    "Owner": "负责人",
    "Status": "状态",
    "SLA": "时限",
    "no cases here": "此队列暂无工单",
    "loading…": "加载中…",
    "sorted by due": "按到期排序",
    "sorted by received": "按受理时间排序",
    "Sorted by deadline": "按到期时间排序",
    "Sorted by receipt, newest first": "按受理时间排序（最新在前）",
    "more: ]": "下一页：]",
    "No case selected": "未选中工单",
    "Last page": "已是最后一页",
    "First page": "已是第一页",
    "Search by code, phone, order number or words": "按工单号、电话、订单号或关键词搜索",
    "nothing found": "未找到",
    # -- a case
    "Deadlines": "时限",
    "Details": "详情",
    "History": "处理记录",
    "nobody": "无",
    "no actions for you here": "您在此状态下无可执行操作",
    "Note": "备注",
    "Log contact": "记录联系",
    "Phone": "电话",
    "E-mail": "邮箱",
    "Order": "订单号",
    "Against": "投诉对象",
    "Incident": "发生",
    "Description": "投诉内容",
    "Demand": "客户诉求",
    "Subcategory": "子类",
    "Complexity": "复杂度",
    "Party": "责任方",
    "Department": "部门",
    "Resolution type": "解决方案",
    "Compensation": "补偿",
    "Satisfied": "满意",
    "Reopened": "重开次数",
    "Repeat of": "重复投诉",
    "Links": "关联",
    "Revisits": "回访",
    "Attachments": "附件",
    "Source": "来源",
    "Created by": "创建人",
    # -- forms
    "Save": "保存",
    "Cancel": "取消",
    "Record": "受理",
    "(choose)": "（请选择）",
    "ctrl+s save · esc cancel": "ctrl+s 保存 · esc 取消",
    "Assign to": "指派对象",
    "Compensation kind": "补偿方式",
    "Score": "评分",
    "Reason": "原因",
    "Duplicate of": "重复于",
    "Original case": "原投诉工单",
    "Correct contact": "更正客户信息",
    "Paid": "已付补偿",
    "Merged from": "合并自",
    "Outcome": "回访结果",
    "Contact by": "联系方式",
    "Standard phrase": "标准话术",
    "Text": "内容",
    "Customer name": "客户姓名",
    "Target": "投诉对象",
    "Target name": "对象名称",
    "Incident place": "发生地点",
    # -- the dashboard
    "KPIs": "关键指标",
    "Period": "周期",
    "Refresh": "刷新",
    "this month": "本月",
    "last 7 days": "近7天",
    "last 30 days": "近30天",
    "this year": "今年",
    "Volume per day": "每日投诉量",
    "Rates by category (%)": "各类别比率（%）",
    "Recorded breaches by dept. (sla check)": "各部门已记录超时（sla check）",
    "none recorded": "无已记录超时",
}
