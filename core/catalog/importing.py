"""Catalog entries: importing — files refused unread, rows rejected, the import's summary
(see kefu.core.catalog; the importer is kefu.core.importer).

English keeps the column names and values as written in the file; Chinese quotes them in 「」.
Details a library gives (a CSV parser's or the database's error) are passed on as they are.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    "import.json_half_character": (
        "the line holds half a character (a lone \\ud800-style escape): not text",
        "该行含有半个字符（孤立的 \\ud800 类转义），不是有效文本",
    ),
    "import.xlsx_strings_too_big": (
        "{path}: its text table unpacks to {size:.0f} MB, more than the {limit:.0f} MB kefu reads; "
        "save the sheet as CSV and import that",
        "{path}：其中的文本表解压后 {size:.0f} MB，超过 kefu 可读取的 {limit:.0f} MB；请另存为 CSV 后导入",
    ),
    "import.nul_byte": (
        "{column} holds a NUL byte: no complaint does (a binary or UTF-16 file read as text?)",
        "{column} 含有 NUL 字节：投诉内容不会有（是否把二进制或 UTF-16 文件当作文本读取？）",
    ),
    "import.row_failed": (
        "this row could not be read ({error}); the other rows were imported",
        "该行无法读取（{error}）；其他行已照常导入",
    ),
    "import.json_too_deep": (
        "the line nests deeper than any complaint does",
        "该行嵌套层级过深，不是一条投诉",
    ),
    "import.json_number": (
        "the line holds a number longer than any field takes (over 4,300 digits)",
        "该行含有超长数字（超过 4300 位），没有字段接受这样的值",
    ),
    # -- options
    "import.bad_format": (
        "--format must be one of {formats}, not {given!r}",
        "--format 只能是 {formats} 之一，不能是「{given}」",
    ),
    "import.unknown_encoding": (
        "--encoding {encoding!r} is not an encoding Python knows",
        "--encoding「{encoding}」不是可识别的编码",
    ),
    "import.encoding_for_text": (
        "--encoding is for CSV and JSON Lines; an XLSX knows its own",
        "--encoding 只用于 CSV 和 JSONL 文件；XLSX 文件自带编码",
    ),
    "import.unknown_zone": (
        "unknown time zone {zone!r}; use an IANA name like Asia/Shanghai",
        "没有「{zone}」这个时区；请用 IANA 时区名，例如 Asia/Shanghai",
    ),
    "import.source_too_long": (
        "the source {source!r} is over {limit} characters; pass a shorter --source",
        "来源「{source}」超过 {limit} 个字符；请用 --source 指定短一些的来源",
    ),
    "import.batch_size": ("the batch size must be at least 1", "每批行数至少为 1"),
    "import.errors_unwritable": (
        "--errors {path}: cannot write it ({error})",
        "--errors {path}：无法写入（{error}）",
    ),
    # -- the file as a whole
    "import.file_too_big": (
        "{path} is {size:,.0f} MB; kefu imports files up to {limit:,.0f} MB at a time; split it",
        "{path} 有 {size:,.0f} MB，kefu 一次最多导入 {limit:,.0f} MB 的文件；请拆分后再导入",
    ),
    "import.xls": (
        "{path}: old .xls workbooks are not read; save it as .xlsx or CSV",
        "{path}：不能读取旧版 .xls 工作簿；请另存为 .xlsx 或 CSV",
    ),
    "import.unknown_suffix": (
        "{path}: cannot tell the format from {suffix!r}; pass --format ({formats})",
        "{path}：无法从扩展名「{suffix}」判断格式；请加 --format（{formats}）",
    ),
    "import.no_suffix": (
        "{path}: cannot tell the format from 'no suffix'; pass --format ({formats})",
        "{path}：文件没有扩展名，无法判断格式；请加 --format（{formats}）",
    ),
    "import.zip_not_csv": (
        "{path}: this is a zip file (an XLSX workbook?); name it .xlsx or pass --format xlsx",
        "{path}：这是 ZIP 压缩文件（也许是 XLSX 工作簿？）；请把扩展名改为 .xlsx，或加 --format xlsx",
    ),
    "import.not_in_encoding": (
        "{path}: line {line} is not valid {encoding}; check --encoding",
        "{path}：第 {line} 行不是有效的 {encoding} 编码；请检查 --encoding",
    ),
    "import.unknown_text_encoding": (
        "{path}: neither UTF-8 (bad byte on line {utf8_line}) nor GB18030 (line {gb_line}); "
        "pass --encoding with the file's encoding, e.g. --encoding big5.{hint}",
        "{path}：既不是 UTF-8（第 {utf8_line} 行有无效字节），也不是 GB18030（第 {gb_line} 行）；"
        "请用 --encoding 指定文件的编码，例如 --encoding big5。{hint}",
    ),
    "import.utf16_hint": (
        ' It looks like UTF-16 (Excel\'s "Unicode text"): pass --encoding utf-16.',
        "看起来是 UTF-16 编码（Excel 的「Unicode 文本」）：请加 --encoding utf-16。",
    ),
    "import.empty_file": ("{path}: the file is empty (no header row)", "{path}：文件是空的（没有表头行）"),
    "import.csv_header_error": ("{path}: line {line}: {error}", "{path}：第 {line} 行：{error}"),
    "import.in_file": ("{path}: {reason}", "{path}：{reason}"),
    "import.needs_defusedxml": (
        "reading XLSX safely needs defusedxml, and OPENPYXL_DEFUSEDXML must not be False",
        "安全读取 XLSX 需要安装 defusedxml，且 OPENPYXL_DEFUSEDXML 不能设为 False",
    ),
    "import.not_xlsx": (
        "{path}: not an XLSX workbook (not a zip file)",
        "{path}：不是 XLSX 工作簿（不是 ZIP 文件）",
    ),
    "import.xlsx_too_big": (
        "{path}: the workbook unpacks to {size:,.0f} MB, over the {limit:,.0f} MB kefu reads; "
        "export it as CSV in parts",
        "{path}：工作簿解压后有 {size:,.0f} MB，超过 kefu 能读取的 {limit:,.0f} MB；请分几次导出为 CSV",
    ),
    "import.xlsx_unreadable": (
        "{path}: cannot read the workbook: {reason}",
        "{path}：无法读取工作簿：{reason}",
    ),
    "import.xlsx_no_sheet": ("{path}: the workbook has no worksheet", "{path}：工作簿里没有工作表"),
    "import.xlsx_empty": (
        "{path}: the first sheet is empty (no header row)",
        "{path}：第一个工作表是空的（没有表头行）",
    ),
    # -- the header
    "import.unknown_column": (
        "{path}: unknown column {name!r} in the header{hint}; rename it to one kefu knows "
        "(see `kefu import --help`) or pass --ignore-unknown to skip it",
        "{path}：表头里有 kefu 不认识的列「{name}」{hint}；请改成 kefu 认识的列名"
        "（见 `kefu import --help`），或加 --ignore-unknown 跳过此列",
    ),
    "import.gb18030_hint": (
        " (the file was read as GB18030; if the name looks garbled, pass --encoding with the file's "
        "encoding)",
        "（文件按 GB18030 读取；如果列名是乱码，请用 --encoding 指定文件的编码）",
    ),
    "import.duplicate_column": (
        "{path}: columns {first!r} and {second!r} both mean {field}; keep one",
        "{path}：列「{first}」和「{second}」都表示{field:field}；请只保留一列",
    ),
    "import.missing_columns": (
        "{path}: the header has no column for {wanted}",
        "{path}：表头缺少这些列：{wanted}",
    ),
    "import.missing_column": ("{field} ({aliases})", "{field:field}（{aliases}）"),
    "import.and_more": ("{first}; {rest}", "{first}；{rest}"),
    # -- a stop part way (the rows before it are kept)
    "import.csv_broken": (
        "line {line}: {error} (an unclosed quote?)",
        "第 {line} 行：{error}（引号没有闭合？）",
    ),
    "import.xlsx_damaged": (
        "row {row}: the workbook is damaged ({error})",
        "第 {row} 行：工作簿已损坏（{error}）",
    ),
    "import.too_many_rows": (
        "line {line}: the file has more than {limit:,} rows; split it (the rows before this line were read)",
        "第 {line} 行：文件超过 {limit:,} 行；请拆分（此行之前的行已读取）",
    ),
    "import.batch_not_stored": (
        "the rows from line {line} on could not be stored ({error}); nothing of them was kept, "
        "run the import again to finish it",
        "从第 {line} 行起的数据未能保存（{error}）；这些行一行也没有保留，请再运行一次导入来完成",
    ),
    # -- a rejected row
    "import.row_error": ("line {line}: {field}: {reason}", "第 {line} 行：{field}：{reason}"),
    "import.whole_row": ("(row)", "（整行）"),
    "import.column_n": ("column {n}", "第 {n} 列"),
    "import.too_few_cells": (
        "the row has {cells} cells but the header has {width} (a line break inside an unquoted field?)",
        "此行有 {cells} 个单元格，表头却有 {width} 列（没加引号的字段里有换行？）",
    ),
    "import.too_many_cells": (
        "the row has {cells} cells but the header has {width} (extra: {extra})",
        "此行有 {cells} 个单元格，表头却只有 {width} 列（多出：{extra}）",
    ),
    "import.beyond_header": (
        "{count} value(s) right of the last column with a header: {first!r}",
        "最后一个有表头的列右侧还有 {count} 个值：「{first}」",
    ),
    "import.headless_value": ("a value in a column with no header", "此列没有表头，却填了值"),
    "import.line_too_long": ("the line is longer than {limit:,} characters", "此行超过 {limit:,} 个字符"),
    "import.not_json": ("not JSON: {error} at column {column}", "不是有效的 JSON：第 {column} 列处 {error}"),
    "import.not_json_object": (
        "a line must be one JSON object, not {kind}",
        "每行须是一个 JSON 对象，不能是 {kind}",
    ),
    "import.unknown_field": (
        "unknown field; see `kefu import --help` for the names kefu reads, or pass --ignore-unknown",
        "kefu 不认识此字段；可用的字段名见 `kefu import --help`，或加 --ignore-unknown 跳过",
    ),
    "import.same_field": (
        "{first!r} and {second!r} both mean {field}",
        "「{first}」和「{second}」都表示{field:field}",
    ),
    "import.not_plain_value": ("a {kind} where a plain value belongs", "这里应是单个值，不能是 {kind}"),
    "import.received_at_required": (
        "{field} is required in an import (when the complaint came in)",
        "导入时必须填写{field:field}（投诉是何时收到的）",
    ),
    # -- the summary
    "import.summary": (
        "{file}: {rows} rows, {imported} imported, {present} already present, {rejected} rejected",
        "{file}：共 {rows} 行，导入 {imported} 行，已存在 {present} 行，未通过检查 {rejected} 行",
    ),
    "import.summary_dry": (
        "{file}: {rows} rows, {imported} would import, {present} already present, {rejected} rejected",
        "{file}：共 {rows} 行，可导入 {imported} 行，已存在 {present} 行，未通过检查 {rejected} 行"
        "（试运行，未保存）",
    ),
    "import.summary_written": (" (written to {path})", "（未通过的行已写入 {path}）"),
    "import.summary_header": (
        "; the header is line {line} ({skipped} title row(s) above it skipped)",
        "；表头在第 {line} 行（跳过其上方 {skipped} 行标题）",
    ),
    "import.summary_totals": (
        "; {count} total line(s) (合计) read past",
        "；跳过 {count} 行合计",
    ),
    "import.summary_delimiter": ("; cells separated by {delimiter:word}", "；以{delimiter:word}分隔"),
    "import.summary_changed": (
        "; {count} row(s) already present have changed since ({fields:field}): `--update` applies "
        "the contact and goods dates as corrections",
        "；{count} 行已导入过的数据有变化（{fields:field}）："
        "加 `--update` 可把联系方式和签收/退货日期作为更正写入",
    ),
    "import.summary_updated": (
        "; {count} row(s) already present have changed since ({fields:field}): {updated} updated "
        "as corrections",
        "；{count} 行已导入过的数据有变化（{fields:field}）：已作为更正写入 {updated} 行",
    ),
    "import.history_status": (
        "status {given!r} cannot be brought across; use one of {states:status}",
        "状态「{given}」无法导入；可用：{states:status}",
    ),
    "import.history_needs": (
        "a case imported as {status:status} needs its {field:field}",
        "以「{status:status}」导入的工单须填写{field:field}",
    ),
    "import.history_unsatisfied": (
        "closed with an unsatisfied customer: kefu reopens such a case, so bring it across as "
        "resolved or in progress",
        "客户不满意的工单在 kefu 中会被重新打开，无法以「已结案」导入；请以「待确认」或「处理中」导入",
    ),
    "import.history_future": ("{field:field} is in the future", "{field:field}晚于现在"),
    "import.history_order": (
        "{later:field} is before {earlier:field}",
        "{later:field}早于{earlier:field}",
    ),
    "import.summary_stopped": ("; stopped: {reason}", "；导入中止：{reason}"),
}
WORDS: dict[str, str] = {}
