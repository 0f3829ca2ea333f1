"""FormScreen: a modal form built from `FieldSpec`s; returns the values through `dismiss`.

Selects for vocabularies, text boxes for free text; required fields and the core's checks (a
`Checker`) are validated before anything is returned, with the problem shown in the UI
language under the field it is about (its label marked, the cursor put on it). Subclasses
decide what submitting means (`submit`), e.g. the intake form records the complaint itself so
that a refusal keeps what the user typed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea

from kefu.core.errors import KefuError
from kefu.core.messages import Message

from ..forms import Checker, FieldSpec
from ..i18n import word


class FormScreen(ModalScreen[Any]):
    CSS_PATH = ["form.tcss"]
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[FieldSpec],
        *,
        lang: str,
        checker: Checker | None = None,
        save_label: str = "Save",
        intro: str | None = None,
    ) -> None:
        super().__init__()
        self.intro = intro
        """A line shown under the title (what the form acts on), or None."""
        self.form_title = title
        self.fields = fields
        self.lang = lang
        self.checker = checker
        self.save_label = save_label
        self._error_field: str | None = None
        """The field the shown error is about ("" for a cross-field check, None: no error)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="form-dialog"):
            yield Static(Text(self.form_title, style="bold"), id="form-title")
            if self.intro:
                yield Static(Text(self.intro), id="form-intro")
            with VerticalScroll(id="form-fields"):
                for spec in self.fields:
                    with Horizontal(classes="form-row", id=f"row-{spec.name}"):
                        mark = " *" if spec.required else ""
                        yield Label(Text(spec.label + mark), classes="form-label")
                        yield self._widget(spec)
                    yield Static(id=f"error-{spec.name}", classes="field-error")
            yield Static(id="form-warning")
            yield Static(id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button(word(self.save_label, self.lang), variant="primary", id="form-save")
                yield Button(word("Cancel", self.lang), id="form-cancel")
                yield Static(Text(word("ctrl+s save · esc cancel", self.lang), style="dim"))

    def _widget(self, spec: FieldSpec) -> Widget:
        wid = f"field-{spec.name}"
        if spec.kind == "select":
            options = spec.options
            if spec.depends_on:
                parent = next((f for f in self.fields if f.name == spec.depends_on), None)
                options = list(spec.options_by.get(parent.value or "", [])) if parent else []
            values = {value for _, value in options}
            return Select(
                options,
                prompt=word("(choose)" if spec.required else "(none)", self.lang),
                allow_blank=True,
                value=spec.value if spec.value in values else Select.NULL,
                id=wid,
                compact=True,
            )
        if spec.kind == "longtext":
            area = TextArea(spec.value or "", id=wid, compact=True, soft_wrap=True)
            return area
        return Input(
            spec.value or "",
            placeholder=spec.placeholder,
            type="number" if spec.kind == "number" else "text",
            id=wid,
            compact=True,
        )

    def on_mount(self) -> None:
        first = self.query(".form-row > Select, .form-row > Input, .form-row > TextArea").first()
        first.focus()
        for select in self.query(".form-row > Select").results(Select):
            self.watch(select, "expanded", partial(self._place_overlay, select), init=False)

    def _place_overlay(self, select: Select[Any], expanded: bool) -> None:
        """Keep an open Select's list inside the form body, never over the buttons.

        The list opens below the Select when it fits there (or there is more room below than
        above), otherwise above it; either way it is cut to the rows available and scrolls.
        """
        if not expanded:
            return
        overlay = select.query_one(OptionList)
        body = self.query_one("#form-fields").region
        row = select.region.y
        below = body.bottom - (row + 1)
        above = row - body.y
        wanted = max(1, overlay.option_count)
        if wanted <= below or below >= above:
            overlay.styles.max_height = max(1, min(wanted, below))
            overlay.styles.offset = (0, 0)
        else:
            height = max(1, min(wanted, above))
            overlay.styles.max_height = height
            overlay.styles.offset = (0, -(height + 1))

    # -- values -------------------------------------------------------------------------------

    def value_of(self, name: str) -> Any:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            return None if widget.value == Select.NULL else widget.value
        if isinstance(widget, TextArea):
            return widget.text.strip() or None
        if isinstance(widget, Input):
            return widget.value.strip() or None
        return None

    def set_value(self, name: str, value: str) -> None:
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            widget.text = value
            widget.move_cursor(widget.document.end)  # typing continues after the text
        elif isinstance(widget, Input):
            widget.value = value
        elif isinstance(widget, Select):
            widget.value = value

    def values(self) -> dict[str, Any]:
        return {spec.name: self.value_of(spec.name) for spec in self.fields}

    def show_error(self, message: str | None, field: str = "") -> None:
        """Show (or with None clear) the form's error: under the field it is about (`field`,
        whose label is marked), or below the fields ("": the whole form). A change to that
        field clears it ("": any change does)."""
        names = {spec.name for spec in self.fields}
        field = field if field in names else ""
        self._error_field = field if message else None
        for spec in self.fields:
            here = bool(message) and spec.name == field
            self.query_one(f"#row-{spec.name}").set_class(here, "-invalid")
            under = self.query_one(f"#error-{spec.name}", Static)
            under.update(Text(message or "") if here else "")
            under.set_class(here, "-shown")
            if here:
                under.scroll_visible(animate=False)
        error = self.query_one("#form-error", Static)
        error.update(Text(message or "") if not field else "")
        error.set_class(bool(message) and not field, "-shown")

    def show_problem(self, problem: KefuError) -> None:
        """A refusal from the core, in the UI language, on the field it names (the cursor
        goes there) or on the whole form."""
        field = problem.field if problem.field in {spec.name for spec in self.fields} else None
        self.show_error(problem.text(self.lang), field or "")
        if field:
            self.query_one(f"#field-{field}").focus()

    def show_warning(self, message: str | None) -> None:
        warning = self.query_one("#form-warning", Static)
        warning.update(Text(message or ""))
        warning.set_class(bool(message), "-shown")

    # -- events -------------------------------------------------------------------------------

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        name = (event.select.id or "").removeprefix("field-")
        value = None if event.value == Select.NULL else str(event.value)
        for spec in self.fields:
            if spec.depends_on == name:
                child = self.query_one(f"#field-{spec.name}", Select)
                kept = child.value  # the sub-category chosen already, if the category still has it
                options = list(spec.options_by.get(value or "", []))
                child.set_options(options)
                if kept != Select.NULL and kept in {v for _, v in options}:
                    child.value = kept
        self._changed(name, value)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        self._changed((event.input.id or "").removeprefix("field-"), event.value)

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        self._changed((event.text_area.id or "").removeprefix("field-"), event.text_area.text)

    def _changed(self, name: str, value: str | None) -> None:
        if self._error_field is not None and self._error_field in ("", name):
            self.show_error(None)  # the error was about what the user just changed
        if name in {spec.name for spec in self.fields}:
            self.field_changed(name, value)

    def field_changed(self, name: str, value: str | None) -> None:
        """Hook for subclasses: a field's value changed."""

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        values = self.values()
        for spec in self.fields:
            if spec.required and values.get(spec.name) in (None, ""):
                key = "ui.field_to_choose" if spec.kind == "select" else "ui.field_required"
                required = Message(key, field=spec.label)
                self.show_error(required.text(self.lang), spec.name)
                self.query_one(f"#field-{spec.name}").focus()
                return
        given = {k: v for k, v in values.items() if v not in (None, "")}
        if self.checker is not None:
            try:
                self.checker(given)
            except KefuError as problem:
                self.show_problem(problem)
                return
        self.show_error(None)
        self.submit(given)

    def submit(self, values: dict[str, Any]) -> None:
        """What saving does; by default hand the values back to whoever opened the form."""
        self.dismiss(values)
