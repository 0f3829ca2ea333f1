"""Catalog entries: cli (see kefu.core.catalog).

What the command line says itself: the notes it prints to stderr, the one-line results of
its commands, the headings and fixed words of its tables. Keys are `cli.<what>`; table
headings are `cli.col.*` (the English is the heading `kefu` has always printed), case fields
`cli.field.*`. Stored codes in tables are not here: they are shown with the core's labels.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- the frame of every error and warning --------------------------------------------
    "cli.warning": ("warning: {text}", "警告：{text}"),
    "cli.out_of_range": ("{option} {text!r} is out of range", "{option}「{text}」超出范围"),
    # -- init and demo ------------------------------------------------------------------
    "cli.created": (
        "Created {db} with the {profile} profile; {login} is its admin.",
        "已创建 {db}（{profile} 方案），管理员是 {login}。",
    ),
    "cli.created_sample": (
        "Created {db} with the {profile} profile; {login} is its admin; {count} sample cases.",
        "已创建 {db}（{profile} 方案），管理员是 {login}；含 {count} 个示例工单。",
    ),
    "cli.demo_no_user": (
        "no sample user named {who!r}; the {profile} demo desk has: {people}",
        "示例中没有用户「{who}」；{profile} 演示工作台的用户有：{people}",
    ),
    "cli.demo_ready": (
        "kefu demo: {count} sample cases ({profile}) in {folder}, removed when you quit",
        "kefu 演示：{count} 个示例工单（{profile}），位于 {folder}，退出时删除",
    ),
    # -- users --------------------------------------------------------------------------
    "cli.user_added": ("Added {name} as {role}.", "已添加 {name}，角色：{role:role}。"),
    "cli.user_set_nothing": (
        "nothing to change: give --role, --department, --display-name, --active or --inactive",
        "没有要修改的内容：请给出 --role、--department、--display-name、--active 或 --inactive",
    ),
    "cli.user_summary_active": (
        "{name}: {role}, department {department:label}, active",
        "{name}：{role:role}，部门：{department:label}，已启用",
    ),
    "cli.user_summary_inactive": (
        "{name}: {role}, department {department:label}, inactive",
        "{name}：{role:role}，部门：{department:label}，已停用",
    ),
    # -- cases --------------------------------------------------------------------------
    "cli.repeat_note": ("note: repeat complaint, linked to {code}", "提示：重复投诉，已关联 {code}"),
    "cli.rule_note": ("note: {rule}", "提示：{rule}"),
    "cli.showing": (
        "showing {shown} of {total}; use --limit",
        "共 {total} 条，显示 {shown} 条；可用 --limit 调整",
    ),
    "cli.no_cases": ("no cases match", "没有符合条件的工单"),
    "cli.history": ("history:", "处理记录："),
    "cli.you_may": ("you may: {actions}", "可执行：{actions:action}"),
    "cli.moved": ("{code}: {action} → {status}", "{code}：{action:action} → {status:status}"),
    "cli.moved_owner": (
        "{code}: {action} → {status} (owner {owner})",
        "{code}：{action:action} → {status:status}（负责人 {owner}）",
    ),
    "cli.noted": ("{code}: {what} recorded", "{code}：已记录{what:event}"),
    "cli.attached": ("{code}: attached {path} sha256 {digest}", "{code}：已添加附件 {path}，SHA256 {digest}"),
    # -- policy -------------------------------------------------------------------------
    "cli.policy_heading": ("{title} ({name}), revision {number}", "{title}（{name}），第 {number} 版"),
    "cli.policy_calendar": (
        "calendar: {kind}, {timezone}, hours {hours}",
        "日历：{kind}，{timezone}，工作时间 {hours}",
    ),
    "cli.vocabulary": ("{kind}: {items}", "{kind}：{items}"),
    "cli.vocabulary_item": ("{code} ({label})", "{code}（{label}）"),
    "cli.vocab.channels": ("channels", "渠道"),
    "cli.vocab.taxonomy": ("taxonomy", "类别"),
    "cli.vocab.parties": ("parties", "责任方"),
    "cli.vocab.departments": ("departments", "部门"),
    "cli.vocab.resolutions": ("resolutions", "解决方案"),
    "cli.vocab.phrases": ("phrases", "标准话术"),
    "cli.policy_terms": (
        "approval above {threshold:g} {currency}; confirmation window {window}; revisit after "
        "{delay}, {attempts} attempts; repeat window {days} days",
        "超过 {threshold:g} {currency} 需审批；确认期 {window}；结案 {delay} 后回访，"
        "最多 {attempts} 次；重复投诉认定期 {days} 天",
    ),
    "cli.policy_revision_line": (
        "revision {version} effective {at} by {who} ({origin})",
        "第 {version} 版，{at} 生效，由 {who} 应用（{origin}）",
    ),
    "cli.policy_ok": (
        "{file}: ok ({name}, {categories} categories, {severities} severities)",
        "{file}：通过（{name}，{categories} 个类别，{severities} 个级别）",
    ),
    "cli.policy_applied": ("policy revision {number} applied ({name})", "已应用规则第 {number} 版（{name}）"),
    # -- doctor -------------------------------------------------------------------------
    "cli.doctor_line": ("{mark}  {name}: {detail}", "{mark} {name}：{detail}"),
    "cli.mark.ok": ("ok", "正常"),
    "cli.mark.failed": ("!!", "异常"),
    "cli.mark.warning": ("??", "注意"),
    "cli.check.database": ("database", "数据库"),
    "cli.check.schema": ("schema", "结构版本"),
    "cli.check.integrity": ("integrity", "完整性"),
    "cli.check.journal": ("journal", "日志模式"),
    "cli.check.calendar": ("calendar", "日历"),
    "cli.check.cases": ("cases", "工单"),
    "cli.check.permissions": ("permissions", "文件权限"),
    "cli.check.history": ("history", "处理记录"),
    # -- sla check and revisits ---------------------------------------------------------
    "cli.sla.escalated": ("escalated", "已升级"),
    "cli.sla.new": ("new", "新超时"),
    "cli.sla.auto_closed": (
        "{code}: closed, no answer within the confirmation window",
        "{code}：确认期内客户未答复，已自动结案",
    ),
    "cli.sla.summary": (
        "{breached} case(s) breached, {new} new breach(es) recorded, {escalated} escalated, "
        "{closed} auto-closed, {at_risk} at risk",
        "{breached} 个工单超时，新记录 {new} 次超时，升级 {escalated} 个，自动结案 {closed} 个，"
        "即将超时 {at_risk} 个",
    ),
    "cli.revisits_now_due": ("{count} revisit(s) now due", "{count} 个回访已到期"),
    "cli.revisits_cancelled": (
        "{count} revisit(s) cancelled (case reopened): {codes}",
        "{count} 个回访已取消（工单已重开）：{codes}",
    ),
    "cli.no_revisits": ("no revisits due", "没有到期的回访"),
    # -- import -------------------------------------------------------------------------
    "cli.importing": ("importing {file}", "正在导入 {file}"),
    "cli.import_more": (
        "... and {more} more rejected rows (all in {path})",
        "……另有 {more} 行被拒（全部见 {path}）",
    ),
    "cli.import_more_hint": (
        "... and {more} more rejected rows; write them all with --errors OUT.csv",
        "……另有 {more} 行被拒；用 --errors OUT.csv 全部写出",
    ),
    "cli.ignored_columns": ("ignored columns: {columns}", "已忽略的列：{columns}"),
    "cli.other_sheets": (
        "only the first sheet was read; not read: {sheets}",
        "只读取了第一个工作表；未读取：{sheets}",
    ),
    # -- reports and exports ------------------------------------------------------------
    "cli.report_format": ("--format must be one of: {formats}", "--format 只能是：{formats}"),
    "cli.out_needs_format": (
        "--out writes csv or json; add --format csv or --format json",
        "--out 只写出 CSV 或 JSON；请加上 --format csv 或 --format json",
    ),
    "cli.unmasked_needs_case": (
        "--unmasked goes with --by case (KPIs hold no personal data)",
        "--unmasked 只能与 --by case 同用（指标中没有个人信息）",
    ),
    "cli.cannot_write": ("{path}: cannot write: {reason}", "{path}：无法写入：{reason}"),
    "cli.wrote_report": ("wrote the {by} report to {path}", "已将报表（按{by}）写入 {path}"),
    "cli.wrote_cases": ("wrote {count} cases to {path}", "已将 {count} 个工单写入 {path}"),
    "cli.cases_received": (
        "{count} cases received {first} .. {last}",
        "{first} 至 {last} 受理 {count} 个工单",
    ),
    # -- audits -------------------------------------------------------------------------
    "cli.audit_by": ("--by takes only: agent", "--by 只接受 agent"),
    "cli.audit_drawn": (
        "batch {batch}: {drawn} of {population} closed cases, seed {seed}",
        "第 {batch} 批：从 {population} 个已结案工单中抽取 {drawn} 个，种子 {seed}",
    ),
    "cli.audit_batch": (
        "batch {batch}, seed {seed}; items: {items}",
        "第 {batch} 批，种子 {seed}；评分项：{items}",
    ),
    "cli.audit_scored": (
        "{code}: {count} item(s) scored in batch {batch}",
        "{code}：第 {batch} 批中已评 {count} 项",
    ),
    # -- table headings -----------------------------------------------------------------
    "cli.col.code": ("code", "工单号"),
    "cli.col.received": ("received", "受理时间"),
    "cli.col.channel": ("channel", "渠道"),
    "cli.col.category": ("category", "类别"),
    "cli.col.sev": ("sev", "级别"),
    "cli.col.customer": ("customer", "客户"),
    "cli.col.owner": ("owner", "负责人"),
    "cli.col.status": ("status", "状态"),
    "cli.col.sla": ("SLA", "时限"),
    "cli.col.name": ("name", "账号"),
    "cli.col.role": ("role", "角色"),
    "cli.col.display_name": ("display name", "显示名"),
    "cli.col.department": ("department", "部门"),
    "cli.col.active": ("active", "启用"),
    "cli.col.phone": ("phone", "电话"),
    "cli.col.due": ("due", "到期时间"),
    "cli.col.attempts": ("attempts", "回访次数"),
    "cli.col.clock": ("clock", "时限"),
    "cli.col.clock_at_risk": ("clock (at risk)", "时限（即将超时）"),
    "cli.col.overdue_by": ("overdue by", "已超时"),
    "cli.col.left": ("left", "剩余"),
    "cli.col.this_run": ("this run", "本次"),
    "cli.col.number": ("#", "序号"),
    "cli.col.agent": ("agent", "客服"),
    "cli.col.closed": ("closed", "结案时间"),
    "cli.col.scores": ("scores", "评分"),
    "cli.col.scored_by": ("scored by", "评分人"),
    "cli.col.note": ("note", "备注"),
    "cli.col.at": ("at", "时间"),
    "cli.col.user": ("user", "用户"),
    "cli.col.what": ("what", "内容"),
    "cli.col.case_or_period": ("case / period", "工单 / 期间"),
    "cli.col.drawn": ("drawn", "抽取"),
    "cli.col.scored": ("scored", "已评"),
    "cli.col.points": ("points", "得分"),
    "cli.col.score": ("score", "得分率"),
    "cli.col.severity": ("severity", "级别"),
    "cli.col.first_response": ("first response", "首次响应"),
    "cli.col.resolution": ("resolution", "解决"),
    "cli.col.coordination": ("coordination", "协调"),
    "cli.col.complex": ("complex", "复杂工单"),
    # `kefu report --by case` as a table: the export's column names in English
    "cli.col.received_at": ("received_at", "受理时间"),
    "cli.col.customer_phone": ("customer_phone", "客户电话"),
    "cli.col.on_time": ("on_time", "按时"),
    "cli.col.handling_business_minutes": ("handling_business_minutes", "处理用时（工作分钟）"),
    # -- `kefu case show`: the names of a case's fields ---------------------------------
    "cli.field.customer": ("customer", "客户"),
    "cli.field.against": ("against", "投诉对象"),
    "cli.field.links": ("links", "关联"),
    "cli.field.due": ("due", "时限"),
    "cli.assumed_years": (
        "({years}: weekdays assumed, no official holidays entered yet)",
        "（{years}年：尚无官方节假日安排，暂按周一至周五计）",
    ),
    "cli.records": ("Deadline records:", "时限记录："),
    "cli.chain_ok": (
        "{events} events and {entries} desk log entries: the history and the record of people are as "
        "kefu wrote them (chains intact, append-only triggers in place, every user as recorded)",
        "共 {events} 条处理记录、{entries} 条台账记录：与 kefu 写入时一致（哈希链完整，只增不改的触发器在位，"
        "人员与记录相符）",
    ),
    "cli.bad_date_only": (
        "--date-only must be {choices}, not {given!r}",
        "--date-only 须为 {choices}，不能是「{given}」",
    ),
    "cli.os_error": ("{path}: {reason}", "{path}：{reason}"),
    "cli.purge_would": (
        "{cases:,} case(s) closed more than {days} day(s) ago (before {before}) would have their "
        "personal data removed; nothing changed (--dry-run)",
        "将清除 {cases:,} 件结案超过 {days} 天（{before} 之前）的工单的个人信息；未做任何改动（--dry-run）",
    ),
    "cli.purged": (
        "{cases:,} case(s) closed more than {days} day(s) ago (before {before}): personal data removed "
        "({events:,} history event(s) redacted, {customers:,} customer record(s) removed); "
        "the statistics are kept",
        "已清除 {cases:,} 件结案超过 {days} 天（{before} 之前）的工单的个人信息（处理记录脱敏 {events:,} 条，"
        "删除客户档案 {customers:,} 个）；统计数据保留",
    ),
    "cli.purged_attachments": (
        "{count} evidence file(s) are no longer listed; delete them from disk if retention applies to them:",
        "{count} 个附件已不再登记；如其同样超过保存期限，请从磁盘删除：",
    ),
    "cli.access_case": ("case shown (kefu case show)", "查看工单（命令行）"),
    "cli.access_customer": ("customer shown (kefu customer show)", "查看客户（命令行）"),
    "cli.access_tui": ("case opened in the TUI", "在界面中打开工单"),
    "cli.access_export": ("unmasked export", "未脱敏导出"),
    "cli.access_search": ("found by a search", "经搜索查到"),
    "cli.no_access": (
        "No one was shown personal data of a case they are not on.",
        "没有人查看过非本人工单的个人信息。",
    ),
    "cli.desk_log_problem": (
        "desk log entry {id} ({subject}): {what}",
        "台账第 {id} 条（{subject}）：{what}",
    ),
    "cli.user_added_outside": (
        "user {name}: in the file, but kefu never added them (added with another tool)",
        "用户 {name}：文件中存在，但并非由 kefu 添加（被其他工具加入）",
    ),
    "cli.user_changed_outside": (
        "user {name}: changed outside kefu — {fields}",
        "用户 {name}：在 kefu 之外被修改——{fields}",
    ),
    "cli.user_removed_outside": (
        "user {name}: kefu recorded them, but they were deleted from the file with another tool",
        "用户 {name}：kefu 有记录，但已被其他工具从文件中删除",
    ),
    "cli.user_field_drift": (
        "{field:field} is {found} in the file, kefu recorded {recorded}",
        "{field:field} 文件中为 {found}，kefu 记录为 {recorded}",
    ),
    "cli.chain_problem": ("event {id} of {code}: {what}", "{code} 的第 {id} 号记录：{what}"),
    "cli.chain_changed": ("changed after it was written", "写入后被改动"),
    "cli.chain_unsealed": ("added outside kefu", "在 kefu 之外被插入"),
    "cli.chain_gap": ("the event before it was deleted", "其前一条记录被删除"),
    "cli.chain_unguarded": (
        "the triggers that keep the history append-only were removed (someone opened the file "
        "with another tool)",
        "保证处理记录只增不改的触发器已被删除（有人用其他工具打开过该文件）",
    ),
    "cli.paid_total": ("; paid so far {paid} {currency}", "；本案已付 {paid} {currency}"),
    "cli.payments": (
        "Compensation paid: {paid} {currency} (ledger):",
        "已付补偿：{paid} {currency}（补偿记录）：",
    ),
    "cli.payment_by": ("approved by {who} {at}", "{who} {at} 批准"),
    "cli.payment_proposed": ("proposed by {who} {at}", "{who} {at} 提出"),
    "cli.payment_closed_by": ("recorded by {who} {at}", "{who} {at} 记录"),
    "cli.payment_paid": ("paid {at}", "{at} 支付"),
    "cli.merged_heading": (
        "Merged into this case: {code} (received {received}, {channel})",
        "合并到本工单：{code}（受理 {received}，{channel}）",
    ),
    "cli.merged_attachments": ("{count} attachment(s)", "附件 {count} 个"),
    "cli.payment_voided": (
        "{code}: payment {no} voided; paid total {before} -> {after} {currency}.",
        "{code}：第 {no} 笔补偿已作废；已付合计 {before} → {after} {currency}。",
    ),
    "cli.hand_over_needs_inactive": (
        "--hand-over-to goes with --inactive (the cases of someone who leaves)",
        "--hand-over-to 需与 --inactive 一起使用（交接离开人员的工单）",
    ),
    "cli.handed_over": ("open cases handed over to {to}: {count}", "已将 {count} 个未结工单交接给 {to}"),
    "cli.still_owns": (
        "{name} still owns open cases ({count}): hand them over with kefu user set {name} --inactive "
        "--hand-over-to NAME",
        "{name} 仍有 {count} 个未结工单：请用 kefu user set {name} --inactive --hand-over-to 姓名 交接",
    ),
    "cli.customer_heading": (
        "{who}: cases {cases}, open {open}, paid {paid}",
        "{who}：共 {cases} 个工单，未结 {open} 个，已赔付 {paid}",
    ),
    "cli.customer_others": ("The customer's other cases ({count}):", "该客户的其他工单（{count} 个）："),
    "cli.customer_satisfied": ("satisfied", "满意"),
    "cli.customer_unsatisfied": ("not satisfied", "不满意"),
    "cli.case_set": ("{code} recorded (version {version}).", "{code} 已补录（版本 {version}）。"),
    "cli.statutory": ("statutory", "法定"),
    "cli.waiting_since": ("waiting for the customer since {since}", "自 {since} 起等待客户"),
    "cli.waiting_remind": ("remind at {at}", "{at} 提醒"),
    "cli.waiting_close": ("closes at {at} if still no answer", "{at} 仍无回复则结案"),
    "cli.waiting_escalate": ("escalates at {at} if still no answer", "{at} 仍无回复则升级"),
    "cli.calendar_removed": (
        "Took back {year}. Run kefu sla rebase to move the open deadlines.",
        "已撤回 {year} 年。请运行 kefu sla rebase 重算未到期时限。",
    ),
    "cli.statutory_window_in": ("the complaint came inside it", "投诉在期内"),
    "cli.statutory_window_out": ("the complaint came after it ended", "投诉时已过期"),
    "cli.statutory_ends": ("ends {day} 24:00", "{day} 24:00 届满"),
    # -- kefu calendar / kefu sla rebase
    "cli.calendar_added": (
        "Entered {year} (days off: {days_off}; make-up working days: {workdays}). Run kefu sla "
        "rebase to move the open deadlines that assumed weekdays.",
        "已录入 {year} 年：放假 {days_off} 天，调休上班 {workdays} 天。请运行 kefu sla rebase "
        "重算按周一至周五推算的未到期时限。",
    ),
    "cli.calendar_replaced": (
        "Replaced {year} (days off: {days_off}; make-up working days: {workdays}). Run kefu sla "
        "rebase to move the open deadlines.",
        "已替换 {year} 年：放假 {days_off} 天，调休上班 {workdays} 天。"
        "请运行 kefu sla rebase 重算未到期时限。",
    ),
    "cli.calendar_shipped": (
        "Official holiday data shipped with kefu: {first}–{last}.",
        "kefu 自带的官方节假日数据：{first}–{last} 年。",
    ),
    "cli.calendar_not_entered": ("{year} is not entered for this desk.", "本台没有录入 {year} 年。"),
    "cli.calendar_year": (
        "{year} (entered by {by} at {at}; source: {source})",
        "{year} 年（{by} 于 {at} 录入；依据：{source}）",
    ),
    "cli.calendar_days": ("{days} days", "{days} 天"),
    "cli.calendar_workday": ("make-up working day", "调休上班"),
    "cli.rebase_done": (
        "Deadlines moved: {moved}, on {cases} cases (open cases checked: {scanned}).",
        "已重算 {cases} 个工单的 {moved} 个时限（检查了 {scanned} 个未结工单）。",
    ),
    "cli.rebase_would": (
        "Deadlines that would move: {moved}, on {cases} cases (open cases checked: {scanned}); "
        "nothing changed.",
        "将重算 {cases} 个工单的 {moved} 个时限（检查了 {scanned} 个未结工单）；未做任何修改。",
    ),
    "cli.record_met": ("met {at}", "{at}达成"),
}
WORDS: dict[str, str] = {}
