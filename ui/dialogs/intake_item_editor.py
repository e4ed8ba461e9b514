"""The intake item editor: one item's wording, kind, choices and marks (Settings → Intake scripts)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from refdesk.domain.vocab import ItemKind
from refdesk.services import intake
from refdesk.services.intake import ItemDraft
from ui.widgets import named, plain_label
from ui.widgets.choices import ChoiceCombo
from ui.widgets.text import PlainTextField


class ItemEditorDialog(QDialog):
    """One item's wording, kind, choices and marks. OK is refused, with the message at the field, for
    what the save would refuse (``intake.check_items``): an empty wording, a choice item without two
    distinct choices.

    Object names: ``itemEditor``, ``promptEdit``, ``kindCombo``, ``choicesEdit``, ``requiredCheck``,
    ``blocksCheck``, ``kindHint`` (changing the kind of a saved item), ``fieldError`` labels, buttons
    ``itemOk`` and ``itemCancel``.

    Signals: QDialog's; read ``draft()`` in the slot connected to ``accepted``.
    """

    def __init__(self, draft: ItemDraft, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._original = draft
        self.setObjectName("itemEditor")
        self.setWindowTitle("New intake item" if draft.key is None else "Edit intake item")
        self.prompt_edit = named(PlainTextField(lines=4), "promptEdit")
        self.prompt_edit.set_text(draft.prompt)
        self.kind_combo = named(ChoiceCombo([(kind, kind.label) for kind in ItemKind]), "kindCombo")
        self.kind_combo.set_value(draft.kind)
        self.choices_edit = named(PlainTextField(lines=4), "choicesEdit")
        self.choices_edit.set_text("\n".join(draft.choices))
        self.required_check = named(
            QCheckBox("&Required (cannot be left empty once answered)"), "requiredCheck"
        )
        self.required_check.setChecked(draft.required)
        self.blocks_check = named(
            QCheckBox("&Blocks scheduling until settled (yes/no: until Yes)"), "blocksCheck"
        )
        self.blocks_check.setChecked(draft.blocks_scheduling)
        self.kind_hint = plain_label("kindHint")
        self.kind_hint.setText(
            "A different kind of answer makes this a new question: answers already given stay with the "
            "old one, listed on each referral as no longer asked."
        )
        self.prompt_error = plain_label("fieldError")
        self.choices_error = plain_label("fieldError")

        form = QFormLayout()
        prompt_label = QLabel("&Words staff say or check:")
        prompt_label.setBuddy(self.prompt_edit)
        form.addRow(prompt_label, self._with_error(self.prompt_edit, self.prompt_error))
        kind_label = QLabel("&Answer:")
        kind_label.setBuddy(self.kind_combo)
        form.addRow(kind_label, self.kind_combo)
        form.addRow("", self.kind_hint)
        choices_label = QLabel("&Choices (one per line):")
        choices_label.setBuddy(self.choices_edit)
        form.addRow(choices_label, self._with_error(self.choices_edit, self.choices_error))
        form.addRow("", self.required_check)
        form.addRow("", self.blocks_check)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("itemOk")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("itemCancel")
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.prompt_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 90)

    @staticmethod
    def _with_error(field: QWidget, error: QLabel) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(field)
        column.addWidget(error)
        return box

    def draft(self) -> ItemDraft:
        """The item as filled in (same key as the one edited)."""
        kind = self.kind_combo.value()
        assert isinstance(kind, ItemKind)
        choices = [line.strip() for line in self.choices_edit.toPlainText().splitlines() if line.strip()]
        return ItemDraft(
            prompt=self.prompt_edit.toPlainText(),
            kind=kind,
            choices=choices if kind is ItemKind.CHOICE else [],
            required=self.required_check.isChecked(),
            blocks_scheduling=self.blocks_check.isChecked(),
            key=self._original.key,
        )

    def _kind_changed(self, *_: object) -> None:
        is_choice = self.kind_combo.value() is ItemKind.CHOICE
        self.choices_edit.setEnabled(is_choice)
        self.kind_hint.setVisible(
            self._original.key is not None and self.kind_combo.value() != self._original.kind
        )

    def _check_and_accept(self) -> None:
        errors = intake.check_items([self.draft()])
        for error, name in ((self.prompt_error, "items.0.prompt"), (self.choices_error, "items.0.choices")):
            error.setText(errors.get(name, ""))
            error.setVisible(name in errors)
        if "items.0.prompt" in errors:
            self.prompt_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        elif "items.0.choices" in errors:
            self.choices_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.accept()
