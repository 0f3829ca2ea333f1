"""Catalog entries: the lifecycle — refusals, intake and transition checks, people, system notes.

English keeps stored codes (`in_progress`, `agent`) so a script's user can type them back;
Chinese shows labels (see kefu.core.messages for the term kinds in `{name:kind}`).
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- refusals from the transition table
    "refusal.unknown_action": (
        "unknown action {action!r}; actions are: {actions}",
        "没有「{action}」这个操作；可用的操作：{actions:action}",
    ),
    "refusal.wrong_state": (
        "cannot {action} a case that is {status} (only from {sources})",
        "工单当前为「{status:status}」，不能执行「{action:action}」（仅限{sources:status}的工单）",
    ),
    "refusal.wrong_state_owned": (
        "cannot {action} a case that is {status} and owned by {owner} (only from {sources})",
        "工单当前为「{status:status}」（负责人 {owner}），不能执行「{action:action}」"
        "（仅限{sources:status}的工单）",
    ),
    "refusal.role": (
        "{role:a_role} may not {action} {status:a_status} case (roles allowed: {roles})",
        "{role:role}无权对「{status:status}」的工单执行「{action:action}」（可执行的角色：{roles:role}）",
    ),
    "refusal.owner_only": (
        "only the owner ({owner}) or a supervisor may {action} this case",
        "只有负责人（{owner}）或主管可以对此工单执行「{action:action}」",
    ),
    "refusal.role_may_not": (
        "{role:a_role} may not {what} (roles allowed: {roles})",
        "{role:role}无权{what}（允许的角色：{roles:role}）",
    ),
    # -- what a role may not do (the `what` of refusal.role_may_not)
    "do.apply_policy": ("apply a policy", "应用政策"),
    "do.enter_calendar": ("enter a calendar year", "录入日历年份"),
    "do.rebase": ("recompute deadlines", "重算时限"),
    "do.hand_over": ("hand cases over", "交接工单"),
    "do.void_payment": ("void a payment", "作废补偿记录"),
    "do.verify_history": ("verify the history", "核验处理记录"),
    "do.read_desk_log": ("read the record of who viewed personal data", "查阅个人信息查看记录"),
    "do.add_users": ("add users", "添加用户"),
    "do.change_users": ("change users", "修改用户"),
    "do.record_complaint": ("record a complaint", "受理投诉"),
    "do.write_on_cases": ("write on cases", "在工单上记录"),
    "do.attach": ("attach evidence", "添加证据附件"),
    "do.run_sla_check": ("run the SLA check", "运行时限检查"),
    "do.schedule_revisits": ("schedule revisits", "安排回访"),
    "do.import": ("import cases", "导入工单"),
    "do.backup": ("take backups", "备份"),
    "do.purge": ("purge personal data", "清除个人信息"),
    "do.read_audits": ("read audit batches", "查看抽检批次"),
    # -- a case
    "case.not_found": ("no case {code!r}", "没有工单 {code}"),
    "case.refused": ("{code}: {reason}", "{code}：{reason}"),
    "case.changed_since": (
        "{code} changed since you opened it (now {status}); look again before acting",
        "{code} 在您打开后已有变化（现为「{status:status}」），请重新查看后再操作",
    ),
    "case.changed_since_owned": (
        "{code} changed since you opened it (now {status}, owner {owner}); look again before acting",
        "{code} 在您打开后已有变化（现为「{status:status}」，负责人 {owner}），请重新查看后再操作",
    ),
    "case.concurrent": (
        "{code} was changed by someone else at the same moment; look again",
        "{code} 刚刚同时被他人修改，请重新查看",
    ),
    # -- a transition's input
    "move.takes_no": ("{action} takes no {fields}", "{action:action}不需要填写{fields:field}"),
    "move.needs": ("{code}: {action} needs {fields}", "{code}：{action:action}需要填写{fields:field}"),
    "field.required": ("{field} is required", "请填写{field:field}"),
    "field.too_long": (
        "{field} is {length} characters; at most {limit} are kept",
        "{field:field}有 {length} 个字符，最多保留 {limit} 个",
    ),
    "field.too_wide": (
        "{field} is {length} characters; at most {limit} fit",
        "{field:field}有 {length} 个字符，最多 {limit} 个",
    ),
    "field.unknown_code": (
        "{field}: unknown {value!r}; choose one of: {choices:label}",
        "{field:field}：没有「{value}」这一项；可选：{choices:label}",
    ),
    "field.unknown_code_close": (
        "{field}: unknown {value!r} — did you mean {close:label}? Choose one of: {choices:label}",
        "{field:field}：没有「{value}」这一项——是否指「{close:label}」？可选：{choices:label}",
    ),
    "field.yes_no": (
        "{field} must be yes or no, not {value!r}",
        "{field:field}须为「是」或「否」，不能是「{value}」",
    ),
    "subcategory.needs_category": ("subcategory needs a category", "选择子类前请先选择类别"),
    "subcategory.not_under": (
        "subcategory: {value!r} is not under {category:label}; choose one of: {choices:label}",
        "子类「{value}」不属于类别「{category:label}」；可选：{choices:label}",
    ),
    "subcategory.none_defined": (
        "subcategory: {value!r} is not under {category:label}; choose one of: (none defined)",
        "子类「{value}」不属于类别「{category:label}」；该类别没有子类",
    ),
    "complexity.invalid": (
        "complexity must be simple or complex, not {value!r}",
        "复杂度须为「简单」或「复杂」，不能是「{value}」",
    ),
    "amount.not_number": (
        "{field} must be a number, not {value!r}",
        "{field:field}必须是数字，不能是「{value}」",
    ),
    "amount.negative": (
        "{field} must be a non-negative amount, not {value!r}",
        "{field:field}不能为负数，不能是「{value}」",
    ),
    "amount.too_large": (
        "{field} must be at most {limit:,}, not {value!r}",
        "{field:field}最多为 {limit:,}，不能是「{value}」",
    ),
    "amount.cents": (
        "{field} has at most two decimals (fen), not {value!r}",
        "{field:field}最多保留两位小数（分），不能是「{value}」",
    ),
    "score.not_whole": (
        "score must be a whole number from 1 to 5, not {value!r}",
        "评分须为 1 到 5 的整数，不能是「{value}」",
    ),
    "score.range": ("score must be from 1 to 5, not {score}", "评分须在 1 到 5 之间，不能是 {score}"),
    "propose.needs_amount": (
        "{code}: {resolution:a_label} resolution needs an amount",
        "{code}：「{resolution:label}」需要填写金额",
    ),
    "propose.takes_no_amount": (
        "{code}: {resolution:a_label} resolution takes no amount; choose a resolution that pays one",
        "{code}：「{resolution:label}」不涉及金额；如需支付，请选择涉及金额的解决方案",
    ),
    "propose.unknown_kind": (
        "compensation_kind must be one of: {kinds:label}",
        "补偿方式须为以下之一：{kinds:label}",
    ),
    "propose.needs_kind": (
        "{code}: {resolution:a_label} resolution needs the kind of compensation ({kinds:label})",
        "{code}：「{resolution:label}」需注明补偿方式（{kinds:label}）",
    ),
    "reject.reason": ("reason must be one of: {reasons}", "原因须为以下之一：{reasons:word}"),
    "reject.needs_original": (
        "{code}: rejecting as duplicate needs duplicate_of (the original case)",
        "{code}：作为重复投诉驳回，需填写原工单号",
    ),
    "assign.already_owner": ("{code} is already {name}'s", "{code} 的负责人已经是 {name}"),
    "merge.already_here": (
        "{code} was already merged into {into}: nothing to merge",
        "{code} 已合并到 {into}，无需再合并",
    ),
    "merge.into_rejected": (
        "{code} was rejected ({reason}): merge into the case that is being handled",
        "{code} 已作为「{reason:word}」驳回：请合并到正在处理的原投诉",
    ),
    "merge.other_customer": (
        "{code} and {original} are not the same customer or order: only a duplicate of one "
        "complaint is merged (correct the contact first with `kefu case set` if it is the same person)",
        "{code} 与 {original} 不是同一客户或同一订单：只能合并同一投诉的重复件"
        "（如确为同一人，请先用 `kefu case set` 更正联系方式）",
    ),
    "case.merged_away": (
        "{code} was merged into {into}: {action} {into} instead",
        "{code} 已合并至 {into}：请对 {into} 执行「{action:action}」",
    ),
    "user.inactive": (
        "{login} is deactivated on this desk; an admin can bring them back with "
        "`kefu user set {login} --active`",
        "{login} 在本客服台已停用；管理员可用 `kefu user set {login} --active` 重新启用",
    ),
    "merge.self": ("{code} cannot be merged into itself", "{code} 不能合并到它自己"),
    "merge.into_merged": (
        "{code} was itself merged into {into}: merge into {into}",
        "{code} 已合并至 {into}：请合并到 {into}",
    ),
    "payment.not_found": ("{code} has no payment {no}", "{code} 没有第 {no} 笔补偿"),
    "payment.not_paid": (
        "{code}: payment {no} is {status}, not paid: only a paid one can be voided",
        "{code}：第 {no} 笔补偿为「{status:word}」，不是已支付，只有已支付的可以作废",
    ),
    "payment.void_needs_reason": (
        "{code}: say why payment {no} was never made (--note)",
        "{code}：请说明第 {no} 笔补偿为何未实际支付（--note）",
    ),
    "reject.self_duplicate": ("{code} cannot be a duplicate of itself", "{code} 不能是它自己的重复投诉"),
    "reject.duplicate_of_without": (
        "duplicate_of goes with reason duplicate",
        "只有原因为「重复投诉」时才填写原工单号",
    ),
    "revisit.outcome": ("outcome must be one of: {outcomes}", "回访结果须为以下之一：{outcomes:word}"),
    "revisit.unsatisfied_needs_note": (
        "{code}: an unsatisfied revisit needs the reason in the note",
        "{code}：回访不满意时，请在备注中写明原因",
    ),
    "revisit.unreachable_no_score": (
        "{code}: an unreachable customer gives no score",
        "{code}：联系不上的客户无法评分",
    ),
    "revisit.none_waiting": ("{code} has no revisit waiting", "{code} 没有待进行的回访"),
    "revisit.not_due": ("{code}: the revisit is not due until {due}", "{code}：回访要到 {due} 才到期"),
    "assign.cannot_own": (
        "{name} is {role:a_role} and cannot own cases",
        "{name} 是{role:role}，不能负责工单",
    ),
    # -- intake
    "intake.unknown_fields": ("unknown intake field(s): {fields}", "未知的受理字段：{fields}"),
    "intake.needs_tz": (
        "{field} must be a date and time with a time zone",
        "{field:field}须为带时区的日期和时间",
    ),
    "intake.future": ("received_at is in the future", "受理时间晚于现在"),
    "case.nothing_to_correct": (
        "{code}: nothing to correct (the values given are the ones recorded)",
        "{code}：没有要更正的内容（给出的值与已记录的相同）",
    ),
    "case.correction_needs_reason": (
        "{code}: say why with --note (a correction of the customer or the order is kept with its reason)",
        "{code}：请用 --note 说明原因（更正客户或订单信息时需记录原因）",
    ),
    "case.nothing_to_set": (
        "{code}: nothing to record (give --delivered-on / --returned-on with a new date, or a "
        "corrected --name / --phone / --email / --order with --note)",
        "{code}：没有要补录的内容（请用 --delivered-on / --returned-on 给出新的日期，"
        "或用 --name / --phone / --email / --order 给出更正并以 --note 说明）",
    ),
    "intake.not_a_day": ("{field:field}: {value!r} is not a date", "{field:field}：「{value}」不是日期"),
    "intake.day_in_future": ("{field:field}: {day} is in the future", "{field:field}：{day} 还没到"),
    "intake.returned_before_delivered": (
        "the goods cannot come back ({returned}) before they were delivered ({delivered})",
        "退货签收日期（{returned}）不能早于签收日期（{delivered}）",
    ),
    "intake.too_early": (
        "{field} {day} is before {year}; check the date",
        "{field:field} {day} 早于 {year} 年，请检查日期",
    ),
    "intake.bad_phone": ("customer_phone {phone!r} is not a phone number", "「{phone}」不是电话号码"),
    "intake.bad_email": ("customer_email {email!r} is not an e-mail address", "「{email}」不是电子邮箱地址"),
    # -- notes and evidence
    "note.empty": ("the note is empty", "备注内容为空"),
    "note.unknown_phrase": (
        "unknown phrase {phrase!r}; phrases: {phrases}",
        "没有「{phrase}」这条话术；可用话术：{phrases}",
    ),
    "note.contact_kind": ("contact must be one of: {kinds}", "联系方式须为以下之一：{kinds:word}"),
    "file.missing": ("{path}: no such file", "{path}：文件不存在"),
    # -- people
    "user.not_kefu_user": (
        "OS user {login!r} is not a kefu user here; an admin can add you with "
        "`kefu user add {login} --role agent`",
        "系统用户「{login}」不是本服务台的 kefu 用户；"
        "管理员可以用 `kefu user add {login} --role agent` 添加您",
    ),
    "user.as_for_admins": (
        "--as is for admins; {login} is {role:a_role}",
        "--as 仅限管理员使用；{login} 是{role:role}",
    ),
    "user.not_found": (
        "no kefu user named {name!r}; see `kefu user list`",
        "没有名为「{name}」的 kefu 用户；请查看 `kefu user list`",
    ),
    "user.bad_name": (
        "user name {name!r} must be an OS login: letters, digits, . _ - @ (not first), at most 64 characters",
        "用户名「{name}」必须是系统登录名：字母、数字及 . _ - @（不能开头），最多 64 个字符",
    ),
    "user.bad_role": (
        "unknown role {role!r}; roles are: {roles}",
        "没有「{role}」这个角色；可选角色：{roles}",
    ),
    "user.exists": ("user {name!r} already exists", "用户「{name}」已存在"),
    "user.bad_department": (
        "unknown department {department!r}; see `kefu policy show`",
        "没有「{department}」这个部门；请查看 `kefu policy show`",
    ),
    "user.last_admin": (
        "{name} is the last active admin; make someone else admin first",
        "{name} 是最后一位在职管理员；请先让其他人成为管理员",
    ),
    "policy.none": (
        "this database has no policy; create one with `kefu init`",
        "此数据库没有政策；请用 `kefu init` 创建",
    ),
    # -- times
    "as_of.needs_tz": ("--as-of needs a time zone", "--as-of 需要带时区"),
    "as_of.future": ("--as-of {when} UTC is in the future; {why}", "--as-of {when} UTC 晚于现在；{why}"),
    "as_of.sla_check_past_only": (
        "sla check records only what has already happened",
        "时限检查只记录已经发生的事",
    ),
    "as_of.revisits_past_only": (
        "revisits become due only when their time has come",
        "回访只有到了时间才会到期",
    ),
    "when.in_field": ("{field:field}: {reason}", "{field:field}：{reason}"),
    "when.not_a_time": (
        "{text!r} is not a date and time; write it like 2026-11-24 09:30, 2026/11/24 9:30, "
        "2026年11月24日 9:30 or 2026-11-24T09:30+08:00",
        "「{text}」不是日期时间；请写成 2026-11-24 09:30、2026/11/24 9:30、2026年11月24日 9:30 "
        "或 2026-11-24T09:30+08:00 这样",
    ),
    "when.not_a_day": (
        "{text!r} is not a date; write it like 2026-11-24, 2026/11/24 or 2026年11月24日",
        "「{text}」不是日期；请写成 2026-11-24、2026/11/24 或 2026年11月24日 这样",
    ),
    "when.is_number": (
        "{value!r} is a number, not a date (Excel writes dates from 1970 to 2099 as 25569 to 73051); "
        "format the column as a date or write it like 2026-11-24 09:30",
        "「{value}」是数字，不是日期（Excel 把 1970 至 2099 年的日期记作 25569 至 73051）；"
        "请把此列设为日期格式，或写成 2026-11-24 09:30 这样",
    ),
    "when.bad_offset": ("{text!r} has an impossible UTC offset", "「{text}」的时区偏移超出范围"),
    "when.not_real": (
        "{text!r} is not a real date and time ({error})",
        "「{text}」不是真实存在的日期时间（{error}）",
    ),
    "when.date_only": (
        "{text!r} has no time of day, and the time of receipt starts the SLA clocks: write the time "
        "(2026-11-24 09:30), or import with --date-only {choices} to say how a date alone is read",
        "「{text}」没有具体时间，而受理时间决定时限从何时起算：请写明时间（如 2026-11-24 09:30），"
        "或导入时用 --date-only {choices} 指定只有日期时如何理解",
    ),
    "sla.case_changed": (
        "a case changed during the SLA check; run it again",
        "时限检查期间有工单被修改，请再运行一次",
    ),
    # -- notes kefu writes in the history itself
    "note.repeat_complaint": ("repeat complaint: {codes}", "重复投诉：{codes}"),
    "case.purged_on": (
        "personal data removed on {day} (retention)",
        "个人信息已于 {day} 按保存期限清除",
    ),
    "note.purged": (
        "the customer's personal data removed: closed more than {days} day(s) ago",
        "结案已超过 {days} 天，客户个人信息已清除",
    ),
    "purge.bad_days": (
        "--older-than must be from 1 to {most:,} days, not {days}",
        "--older-than 须在 1 到 {most:,} 天之间，而非 {days}",
    ),
    "purge.history_broken": (
        "the history was altered outside kefu: nothing purged (a purge re-chains the history and would "
        "hide it) — run `kefu audit verify` and restore a backup",
        "处理记录在 kefu 之外被改动，未清除任何数据（清除会重算哈希链，从而掩盖改动）——"
        "请运行 `kefu audit verify` 并恢复备份",
    ),
    "note.repeat_unlinked": (
        "repeat link removed: the phone or order number was corrected",
        "已解除重复投诉关联：电话或订单号已更正",
    ),
    "note.repeat_entered_later": (
        "repeat complaint: {code} (received earlier, entered later)",
        "重复投诉：{code}（受理在先，录入在后）",
    ),
    "note.severity_escalates": ("severity escalates on intake", "该级别受理即自动升级"),
    "intake.rule_raises": (
        "the policy makes this complaint at least {severity}, whatever severity is picked",
        "按政策，此类投诉至少为 {severity}（不论所选级别）",
    ),
    "intake.rule_raises_escalates": (
        "the policy makes this complaint at least {severity} and escalates it at once",
        "按政策，此类投诉至少为 {severity}，并立即升级",
    ),
    "intake.rule_escalates": (
        "the policy escalates this complaint at once (to a supervisor)",
        "按政策，此类投诉受理即升级（交由主管）",
    ),
    "note.class_escalates": (
        "escalated on intake: the policy escalates every {label:label} complaint at once",
        "受理即升级：政策规定「{label:label}」类投诉一律立即升级",
    ),
    "note.escalated_on_breach": (
        "{clock:clock} deadline passed; escalated per the policy",
        "{clock:clock}时限已过，按政策自动升级",
    ),
    "note.escalated_waiting": (
        "no answer from the customer since {since} ({limit} waited): escalated per the policy",
        "自 {since} 起等待客户回复已满 {limit}，仍无回音：按规定升级",
    ),
    "note.no_response": (
        "no answer from the customer since {since} ({limit} waited): closed per the policy",
        "自 {since} 起等待客户回复已满 {limit}，仍无回音：按规定结案",
    ),
    "note.waiting_reminder": (
        "waiting for the customer since {since} ({limit}): remind them",
        "自 {since} 起等待客户回复已满 {limit}：请提醒客户",
    ),
    "assign.inactive": (
        "{name} is inactive: give the case to someone who works cases (kefu user list)",
        "{name} 已停用：请交给仍在处理工单的人员（kefu user list）",
    ),
    "note.handed_over": ("handed over: {name} no longer works cases", "交接：{name} 不再处理工单"),
    "user.hand_over_self": ("{name} cannot hand cases over to themselves", "{name} 不能把工单交接给自己"),
    "reclassify.nothing": (
        "{code}: nothing to correct (give a category, severity, complexity, party or department "
        "that differs)",
        "{code}：没有要更正的内容（请给出与现在不同的类别、级别、复杂度、责任方或部门）",
    ),
    "customer.not_found": (
        "no case and no customer for {key!r} (give a case code, a phone number or an e-mail)",
        "没有「{key}」对应的工单或客户（请给出工单号、电话号码或电子邮箱）",
    ),
    "customer.by_code_only": (
        "{role:a_role} may look a customer up by case code only (phone numbers and e-mails are "
        "personal data)",
        "{role:role}只能按工单号查看客户（电话和邮箱属于个人信息）",
    ),
    "note.recorded": ("recorded {items}", "补录：{items}"),
    "note.recorded_item": ("{field:field} {day}", "{field:field} {day}"),
    "note.rebased": (
        "{clock:clock} deadline recomputed on the working calendar as entered now: {before} → {after}",
        "按现行工作日历重算{clock:clock}时限：{before} → {after}",
    ),
    "note.deadline_passed": (
        "{clock:clock} deadline {due} passed unmet",
        "{clock:clock}时限 {due} 已过，未达成",
    ),
    "note.no_answer": (
        "no answer within the confirmation window ({window}, ended {ended})",
        "确认期（{window}）内客户未答复，已于 {ended} 到期",
    ),
    "note.imported": ("imported from {file} line {line}", "导入自 {file} 第 {line} 行"),
}

WORDS: dict[str, str] = {
    "(none)": "（无）",
}
