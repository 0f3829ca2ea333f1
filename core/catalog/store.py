"""Catalog entries: the store — opening and backing up the database, policy files and their
validation, the working calendar, `kefu doctor` and the sample desks (see kefu.core.catalog).

A policy error is framed as "<origin>, line N: field: reason"; the reason is one of the
`policy.*` / `calendar.*` reasons below, or pydantic's own English text when only pydantic
knows what is wrong (a wrong type, a pattern not matched, a number out of range).
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- who may read and write the file (kefu.core.sharing)
    "group.unknown": ("there is no group {group!r} on this host", "本机没有名为「{group}」的用户组"),
    "group.not_member": (
        "you are not in the group {group!r}: a desk shared by it must be created by a member",
        "您不在用户组「{group}」中：共享给该组的客服台须由组员创建",
    ),
    "group.directory": (
        "{folder} must belong to the group {group} and be setgid so that the files SQLite makes "
        "there stay in the group; its owner (or root) runs: "
        "`chgrp {group} {folder} && chmod g+rwxs {folder}`",
        "目录 {folder} 须属于用户组 {group} 并设置 `setgid`，SQLite 在其中新建的文件才会留在该组；"
        "请目录所有者（或 `root`）执行：`chgrp {group} {folder} && chmod g+rwxs {folder}`",
    ),
    "desk.companion_locked": (
        "{path} belongs to {owner}:{group} with mode {mode}: the desk's group {desk_group} cannot "
        "write it; {owner} (or root) runs `kefu doctor --fix`",
        "{path} 属于 {owner}:{group}，权限 {mode}：客服台的用户组 {desk_group} 无法写入；"
        "请 {owner}（或 `root`）执行 `kefu doctor --fix`",
    ),
    "db.damaged": (
        "{path} is damaged ({reason}): nothing was changed; restore your latest `kefu backup` "
        "(copy it over the file with every kefu program closed, TUIs too) — `kefu doctor` says more",
        "{path} 已损坏（{reason}）：未做任何更改；请在所有 kefu 程序（包括 TUI）都关闭后"
        "用最近一次 `kefu backup` 的备份覆盖该文件——`kefu doctor` 可查看详情",
    ),
    "db.marked_damaged": (
        "{path} was found damaged ({found}): kefu writes nothing to it until it is mended — restore "
        "your latest `kefu backup` over it with every kefu program closed (TUIs too), then run "
        "`kefu doctor` (it removes the mark once the file checks out)",
        "{path} 已被发现损坏（{found}）：修复前 kefu 不再写入——请在所有 kefu 程序（包括 TUI）都关闭后"
        "用最近一次 `kefu backup` 的备份覆盖该文件，再运行 `kefu doctor`（文件检查无误后会清除该标记）",
    ),
    "db.failed": (
        "{path}: the database failed ({reason}); nothing was changed",
        "{path}：数据库出错（{reason}）；未做任何更改",
    ),
    "backup.damaged": (
        "{path} is damaged ({reason}): no backup was written; keep your last good one",
        "{path} 已损坏（{reason}）：未写入备份；请保留上一份完好的备份",
    ),
    "doctor.damaged": (
        "the file is damaged: restore your latest `kefu backup` with every kefu program closed (TUIs too)",
        "文件已损坏：请在所有 kefu 程序（包括 TUI）都关闭后恢复最近一次 `kefu backup` 的备份",
    ),
    "disk.full": ("the disk is full", "磁盘已满"),
    "doctor.mark_cleared": (
        "; the damage mark was removed: kefu writes to the file again",
        "；损坏标记已清除：kefu 恢复写入",
    ),
    "doctor.history_ok": ("{events} events, the hash chain intact", "共 {events} 条记录，哈希链完整"),
    "doctor.history_broken": (
        "the history or the record of people was altered outside kefu ({problems} problem(s)): "
        "`kefu audit verify` names them",
        "处理记录或人员记录在 kefu 之外被改动（{problems} 处）：`kefu audit verify` 可列出具体记录",
    ),
    "doctor.history_unguarded": (
        "; the append-only triggers were removed",
        "；只增不改的触发器已被删除",
    ),
    "desk.read_only_fs": (
        "{path} is on a read-only file system: kefu needs to write beside it (its -wal / -shm) even "
        "to read it; copy the desk somewhere writable, or remount it read-write",
        "{path} 位于只读文件系统上：即使只是读取，kefu 也需要在其旁边写入日志文件；"
        "请把该文件复制到可写的位置，或以读写方式重新挂载",
    ),
    "desk.no_access": (
        "{path} is {owner}'s own desk (mode {mode}): you may not open it",
        "{path} 是 {owner} 的个人客服台（权限 {mode}）：您无权打开",
    ),
    "desk.no_access_shared": (
        "{path} is shared by the group {group} (mode {mode}) and you are not in it (or cannot "
        "write its directory): an administrator of this host adds you with `usermod -aG {group} YOU`",
        "{path} 共享给用户组 {group}（权限 {mode}），您不在该组中（或无权写入其目录）："
        "请本机管理员用 `usermod -aG {group} YOU` 将您加入",
    ),
    "desk.others_can_read": (
        "{path} (mode {mode}) can be read by anyone on this host; `kefu doctor --fix` makes it "
        "the desk's only",
        "{path}（权限 {mode}）本机任何用户都能读取；`kefu doctor --fix` 可将其限制为客服台成员",
    ),
    "doctor.permissions_personal": (
        "personal desk: the owner's only (0600)",
        "个人客服台：仅所有者可读写（0600）",
    ),
    "doctor.permissions_shared": (
        "shared by the group {group} (0660, setgid directory)",
        "共享给用户组 {group}（0660，目录已设 `setgid`）",
    ),
    "doctor.fixed": ("mended: {count}", "已修复：{count} 项"),
    # -- the database file (kefu.core.db)
    "db.unsupported": (
        "{scheme} databases are not supported yet; use a SQLite file path for --db",
        "暂不支持 {scheme} 数据库；请用 --db 指定一个数据库文件的路径",
    ),
    "db.busy": (
        "the database stayed busy for {seconds:.0f} s (another long job is writing); nothing was "
        "changed, try again",
        "数据库持续繁忙 {seconds:.0f} 秒（另有耗时任务正在写入）；未做任何更改，请重试",
    ),
    "db.cannot_write": (
        "the database cannot be written ({reason}); nothing was changed",
        "无法写入数据库（{reason}）；未做任何更改",
    ),
    "db.missing": (
        "{path}: no kefu database here; create one with `kefu init`",
        "{path}：这里没有 kefu 数据库；请用 `kefu init` 创建",
    ),
    "db.cannot_open": (
        "{path}: cannot open as SQLite: {reason}",
        "{path}：无法作为 SQLite 数据库打开：{reason}",
    ),
    "db.not_sqlite": ("{path}: not a SQLite database ({reason})", "{path}：不是 SQLite 数据库（{reason}）"),
    "db.not_kefu": (
        "{path}: this SQLite file is not a kefu database",
        "{path}：这个数据库文件不是 kefu 的数据库",
    ),
    "db.no_schema": (
        "the database has no kefu schema; create one with `kefu init`",
        "数据库中没有 kefu 的表结构；请用 `kefu init` 创建",
    ),
    "db.newer_schema": (
        "the database was written by a newer kefu (schema {revision}); upgrade kefu before using it",
        "数据库由更新版本的 kefu 写入（表结构 {revision}）；请先升级 kefu 再使用",
    ),
    "db.older_schema": (
        "the database schema ({revision}) is older than kefu's; run kefu doctor",
        "数据库表结构（{revision}）比当前 kefu 旧；请运行 kefu doctor",
    ),
    "db.exists": (
        "{path} already exists; choose another --db or remove it first",
        "{path} 已存在；请换一个 --db，或先删除它",
    ),
    "db.postgres_exists": (
        "that PostgreSQL database already holds a kefu schema",
        "该 PostgreSQL 数据库中已有 kefu 的表结构",
    ),
    "db.foreign_key": ("foreign key: {row}", "外键不一致：{row}"),
    # -- backups
    "backup.sqlite_only": (
        "kefu backup copies SQLite files; use pg_dump for PostgreSQL",
        "kefu backup 只能复制 SQLite 数据库文件；PostgreSQL 请用 pg_dump",
    ),
    "backup.exists": ("{path} already exists; choose another --to", "{path} 已存在；请换一个 --to"),
    "backup.not_a_directory": (
        "{path} is not a directory; choose another --to",
        "{path} 不是目录；请换一个 --to",
    ),
    "backup.failed": (
        "backup to {path} failed: {reason}; nothing was written",
        "备份到 {path} 失败：{reason}；未写入任何文件",
    ),
    # -- policy files (kefu.core.policy): where the problem is, then the reason
    "policy.problem": (
        "{origin}, line {line}: {field}: {reason}",
        "{origin}，第 {line} 行：{field}：{reason}",
    ),
    "policy.problem_no_field": ("{origin}, line {line}: {reason}", "{origin}，第 {line} 行：{reason}"),
    "policy.problem_no_line": ("{origin}: {field}: {reason}", "{origin}：{field}：{reason}"),
    "policy.problem_anywhere": ("{origin}: {reason}", "{origin}：{reason}"),
    "policy.one_more_problem": ("{problem} (and 1 more problem)", "{problem}（另有 1 处问题）"),
    "policy.more_problems": ("{problem} (and {more} more problems)", "{problem}（另有 {more} 处问题）"),
    "policy.not_toml": ("{origin}: not valid TOML: {detail}", "{origin}：不是有效的 TOML：{detail}"),
    "policy.cannot_read": ("{path}: cannot read: {reason}", "{path}：无法读取：{reason}"),
    "policy.not_utf8": ("{path}: not UTF-8 text", "{path}：不是 UTF-8 编码的文本"),
    "policy.no_file": ("{path}: no such profile file", "{path}：没有这个政策文件"),
    "policy.unknown_profile": (
        "unknown profile {name!r}: use one of {names} or a .toml file",
        "没有「{name}」这个政策模板：请从 {names} 中选择，或指定一个 .toml 文件",
    ),
    "policy.effective_past": (
        "an effective date in the past would rewrite history; use now or a future date",
        "生效日期早于现在会改写历史；请用现在或将来的日期",
    ),
    # -- the reasons kefu gives itself
    "policy.unknown_key": (
        "unknown key (check the spelling against the documented schema)",
        "未知的键（请对照文档中的格式检查拼写）",
    ),
    "policy.missing": ("required but missing", "必填，但没有填写"),
    "policy.statutory_overrun": (
        "warning: {severity}{complex} resolution target {target} can end after the statutory "
        "duty {rule:label} ({source}): received {day:day}, it is due {due:day}, but the duty ends "
        "{end:day} 24:00; {days} receipt days in {years} run past it",
        "警告：{severity} 级{complex}工单的解决时限 {target} 可能晚于法定时限「{rule:label}」（{source}）："
        "{day:day}受理的工单到 {due:day}才到期，而法定时限在 {end:day}当天 24:00 届满；"
        "{years} 年共有 {days} 个受理日会超出",
    ),
    "policy.statutory_overrun_complex": (" (complex)", "复杂"),
    "policy.statutory_days": (
        "{value!r}: a statutory period is counted in days, e.g. 7d",
        "「{value}」：法定期间按日计算，例如 7d",
    ),
    "policy.empty": ("must list at least one entry", "至少要列出一项"),
    "policy.zero_target": (
        "{value!r}: an SLA target must be longer than zero",
        "「{value}」：时限目标必须大于零",
    ),
    "policy.severity_without_sla": (
        "severity {severity} has no [sla.{severity}] table",
        "级别 {severity} 没有对应的 [sla.{severity}] 表",
    ),
    "policy.sla_without_severity": (
        "[sla.{severity}] names no severity in [severities]",
        "[sla.{severity}] 对应的级别不在 [severities] 中",
    ),
    "policy.unknown_category": ("unknown category {category!r}", "没有「{category}」这个类别"),
    "policy.unknown_severity": (
        "min_severity {severity!r} is not one of this policy's severities ({known})",
        "min_severity「{severity}」不是本政策的级别（{known}）",
    ),
    "policy.alias_taken": (
        "{alias!r} would mean both {other!r} and {code!r} in [{kind}]: an alias must name one code",
        "「{alias}」在 [{kind}] 中同时指向「{other}」和「{code}」：一个别名只能对应一项",
    ),
    # -- the working calendar (kefu.core.calendar): reasons inside a policy error
    "policy.too_deep": (
        "{origin}: nested deeper than any policy is (arrays or tables within each other)",
        "{origin}：嵌套层级过深（数组或表层层相套），不是有效的方案文件",
    ),
    "calendar.duration_too_long": (
        "{value!r} is longer than kefu takes: at most {limit} days ({most} in this unit)",
        "「{value}」超出 kefu 的上限：最多 {limit} 天（该单位最多 {most}）",
    ),
    "calendar.not_duration": (
        "{value!r} is not a duration: use a number followed by m, h, d, bm, bh or wd",
        "「{value}」不是时长：请写数字加单位 m、h、d、bm、bh 或 wd",
    ),
    "calendar.not_time": ("{value!r} is not a time: use HH:MM", "「{value}」不是时间：请写成 HH:MM"),
    "calendar.not_time_of_day": (
        "{value!r} is not a time of day: use 00:00 to 23:59",
        "「{value}」不是一天中的时刻：请写 00:00 到 23:59",
    ),
    "calendar.span_format": (
        "business hours {value!r}: use HH:MM-HH:MM, e.g. 09:00-12:00",
        "营业时间「{value}」：请写成 HH:MM-HH:MM，如 09:00-12:00",
    ),
    "calendar.span_bad": ("business hours {value!r}: {reason}", "营业时间「{value}」：{reason}"),
    "calendar.not_date": (
        "{name}: {value!r} is not a date (use YYYY-MM-DD)",
        "{name}：「{value}」不是日期（请写成 YYYY-MM-DD）",
    ),
    "calendar.unknown_zone": (
        "unknown time zone {zone!r}: use an IANA name such as Asia/Shanghai",
        "没有「{zone}」这个时区：请用 IANA 时区名，如 Asia/Shanghai",
    ),
    "calendar.no_spans": (
        "business hours: give at least one span, e.g. 09:00-18:00",
        "营业时间：至少填写一个时段，如 09:00-18:00",
    ),
    "calendar.span_backwards": (
        "business hours {start}-{end}: the end must be after the start",
        "营业时间 {start}-{end}：结束时间必须晚于开始时间",
    ),
    "calendar.span_overlap": (
        "business hours {start}-{end} overlap or come before the span ending {previous}: list spans "
        "in order without overlaps",
        "营业时间 {start}-{end} 与结束于 {previous} 的时段重叠或排在其前：请按先后顺序列出，不要重叠",
    ),
    "calendar.no_holiday_data": (
        "the cn calendar has no official holiday data for {year} (chinesecalendar covers "
        "{first}-{last}), so Monday to Friday count as working days in {year} until an admin "
        "enters the year's arrangement (kefu calendar add FILE, then kefu sla rebase)",
        "cn 日历没有 {year} 年的官方节假日数据（chinesecalendar 只覆盖 {first}-{last} 年），"
        "在管理员录入该年安排（kefu calendar add 文件，再运行 kefu sla rebase）之前，"
        "{year} 年按周一至周五计算工作日",
    ),
    # -- a year's holiday arrangement (kefu.core.calendars): `kefu calendar add FILE`
    "calendar_file.no_file": ("{path}: no such file", "{path}：没有这个文件"),
    "calendar_file.too_big": (
        "{path}: larger than {limit} KB, not a year's holiday arrangement",
        "{path}：超过 {limit} KB，不是一年的节假日安排",
    ),
    "calendar_file.need_year": (
        "give the year as a number, e.g. year = 2027",
        "请用数字写明年份，例如 `year = 2027`",
    ),
    "calendar_file.year_range": ("a year from {first} to {last}", "年份须在 {first} 到 {last} 之间"),
    "calendar_file.need_text": ("text of at most {limit} characters", "最多 {limit} 个字的文字"),
    "calendar_file.need_date": (
        "{value!r} is not a date: write YYYY-MM-DD",
        "「{value}」不是日期：请写成 YYYY-MM-DD",
    ),
    "calendar_file.other_year": ("{day} is not in {year}", "{day} 不在 {year} 年"),
    "calendar_file.need_tables": (
        "write each entry as a [[{table}]] table",
        "每一项请写成一个 [[{table}]] 表",
    ),
    "calendar_file.need_name": (
        "give the holiday a name of at most 50 characters (元旦, 春节...)",
        "请写明节日名称（最多 50 字，如 元旦、春节）",
    ),
    "calendar_file.backwards": (
        "the holiday ends ({last}) before it begins ({first})",
        "假期结束（{last}）早于开始（{first}）",
    ),
    "calendar_file.no_holidays": (
        "list the year's holidays as [[holidays]] tables with name, from and to",
        "请用 [[holidays]] 表列出该年的假期（`name`、`from`、`to`）",
    ),
    "calendar_file.both": (
        "{day} is listed as a make-up working day and inside a holiday",
        "{day} 既列为调休上班日，又在假期之内",
    ),
    "calendar_file.need_source": (
        'name the notice the dates come from, e.g. source = "国办发明电〔2026〕X号"',
        '请写明日期所依据的通知，例如 `source = "国办发明电〔2026〕X号"`',
    ),
    "calendar_file.need_workday_name": (
        "give the make-up working day a name of at most 50 characters (春节调休...)",
        "请写明调休上班日的名称（最多 50 字，如 春节调休）",
    ),
    "calendar_file.overlap": ("{name} overlaps {other}", "{name}与{other}的日期重叠"),
    "calendar_file.workday_weekday": (
        "{day} is a weekday: a make-up working day is a Saturday or Sunday worked",
        "{day} 本来就是工作日：调休上班日应是周六或周日",
    ),
    "calendar_file.shipped": (
        "{year} is in the official holiday data kefu ships: give --replace to override it for this desk",
        "kefu 自带 {year} 年的官方节假日数据：如确需为本台替换，请加 --replace",
    ),
    "calendar_file.not_entered": ("{year} is not entered for this desk", "本台没有录入 {year} 年"),
    "calendar_file.already": (
        "{year} is already entered for this desk: give --replace to replace it",
        "本台已录入 {year} 年：如需替换请加 --replace",
    ),
    # -- kefu doctor (kefu.core.health): each check's detail
    "doctor.schema_current": ("revision {revision}", "表结构版本 {revision}"),
    "doctor.schema_older": (
        "revision {revision}; kefu will migrate it to {head}",
        "表结构版本 {revision}；kefu 会把它迁移到 {head}",
    ),
    "doctor.integrity_ok": ("ok", "正常"),
    "doctor.journal": ("journal_mode={mode}", "日志模式 {mode}"),
    "calendar.kind.cn": ("cn", "中国法定节假日"),
    "calendar.kind.weekdays": ("weekdays", "周一至周五"),
    "calendar.kind.everyday": ("everyday", "每天"),
    "doctor.calendar_name": ("{kind} calendar", "{kind}日历"),
    "doctor.calendar_revisions": (" (policy revision {revisions})", "（政策版本 {revisions}）"),
    "doctor.calendar_years": (
        "{calendar}{which} has official data for {first}–{last}",
        "{calendar}{which}有 {first}–{last} 年的官方数据",
    ),
    "doctor.calendar_entered": (
        "; entered for this desk: {years}",
        "；本台已录入：{years} 年",
    ),
    "doctor.calendar_all_years": (
        "{calendar}{which} has official data for all years",
        "{calendar}{which}适用于所有年份",
    ),
    "doctor.calendar_uncovered": (
        "; NOT for {years} (weekdays assumed there: {fix})",
        "；没有 {years} 年的数据（这些年份按周一至周五计算：{fix}）",
    ),
    "doctor.calendar_not_yet": (
        "; not yet for {years} (deadlines running into it assume weekdays until you {fix})",
        "；还没有 {years} 年的数据（在您{fix}之前，延续到该年的时限按周一至周五计算）",
    ),
    "doctor.calendar_fix": (
        "enter the year's official arrangement with kefu calendar add FILE, then run kefu sla rebase",
        "用 kefu calendar add 文件 录入该年的官方安排，再运行 kefu sla rebase",
    ),
    "doctor.cases": ("{cases} cases", "{cases} 个工单"),
    # -- the sample desks (kefu.core.samples)
    "samples.none": (
        "there are no sample cases for profile {profile!r}",
        "政策模板「{profile}」没有示例工单",
    ),
    "samples.case_failed": ("{file}: sample case {key}: {reason}", "{file}：示例工单 {key}：{reason}"),
    "samples.step_in_future": ("step {action} lies in the future", "步骤「{action:action}」的时间晚于现在"),
}

WORDS: dict[str, str] = {}
