"""Step two: which column of the file holds each RefDesk field.

Guessed from the column names (``guess_mapping``), or taken from a mapping loaded on the first page;
the user changes any guess with the combo beside the field. A few values from the first rows show
beside each choice, so "DOB" holding phone numbers is seen before anything is imported. Required fields
are marked, and Next refuses while one has no column. A field the file may lack because one value fits
every row (the service line, the intake channel, the partner category) offers that value in the same
combo: "Every row: Physical therapy".

Leaving the step reads the whole file once for the next steps (the distinct values of the columns whose
words need matching, and how the dates are written), on a worker; the wizard moves on when that is done.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from refdesk.imports import mapping as mappings
from refdesk.imports.mapping import Field, Kind, Mapping
from refdesk.imports.source import Source
from refdesk.imports.values import DateFormat
from ui.detail.bars import scrolling, set_style_property
from ui.imports.jobs import Work
from ui.imports.pages import ImportPage
from ui.imports.state import Analysis
from ui.widgets import plain_label
from ui.widgets.choices import ChoiceCombo

NOT_IN_FILE = "— not in the file —"
EVERY_ROW = "Every row: "
#: Sample values shown beside a column choice.
SAMPLES_SHOWN = 3
#: The value-mapped fields the values step shows first, in this order (the rest follow in the
#: core's order): what a referral log's words most often need.
FIRST_VALUE_FIELDS = ("state", "close_reason", "urgency", "channel", "service_line", "category")

#: A combo's value: ("column", header), ("default", RefDesk value), or None (not in the file).
Choice = tuple[str, str] | None


def fields_of(kind: Kind) -> dict[str, Field]:
    return mappings.FIELDS[kind]


def shown_order(kind: Kind) -> list[str]:
    """The fields as the step lists them: the required ones first (all in sight without scrolling),
    then the one-column patient name (the alternative to first and last name), then the rest."""
    fields = fields_of(kind)
    required = [name for name, spec in fields.items() if spec.required]
    alternative = [name for name in ("patient_name",) if name in fields]
    return required + alternative + [name for name in fields if name not in required + alternative]


def value_fields(kind: Kind) -> list[str]:
    """The fields whose words the values step maps, most asked-for first (a service line column's
    words are mapped to RefDesk's service lines by name)."""
    names = list(mappings.value_fields(kind))
    if "service_line" in fields_of(kind):
        names.append("service_line")
    first = [name for name in FIRST_VALUE_FIELDS if name in names]
    return first + [name for name in names if name not in first]


def default_choices(spec: Field, service_lines: list[str]) -> list[tuple[str, str]]:
    """(value, label) a defaultable field may take for every row."""
    if spec.kind == "service_line":
        return [(name, name) for name in service_lines]
    return list(spec.choices)


def samples_of(rows: list[dict[str, str]], header: str | None) -> str:
    """Up to three different non-empty values of ``header`` from the first rows."""
    if header is None:
        return ""
    seen: list[str] = []
    for row in rows:
        value = " ".join((row.get(header) or "").split())
        if value and value not in seen:
            seen.append(value)
            if len(seen) == SAMPLES_SHOWN:
                break
    shown = [value if len(value) <= 28 else value[:27] + "…" for value in seen]
    return "  ·  ".join(shown) if shown else "(empty in the first rows)"


def analyse(source: Source, mapping: Mapping, work: Work) -> Analysis:
    """Read what the values and dates steps need for ``mapping``; runs on a worker."""
    analysis = Analysis(columns=dict(mapping.columns))
    for name in value_fields(mapping.kind):
        if name not in mapping.columns:
            continue
        if work.should_stop():
            return analysis
        found = mappings.distinct_values(source, mapping, name)
        analysis.values[name] = found
        analysis.guesses[name] = mappings.guess_values(name, found)
    if not work.should_stop():
        analysis.dates = mappings.detect_date_format(source, mapping)
    return analysis


class ColumnsPage(ImportPage):
    """One row per field: its label (``*`` when required; object name ``fieldLabel``, property
    ``field``), a combo of the file's columns (``columnChoice``, property ``field``; its value is
    ``("column", header)``, ``("default", value)`` or None) and the first values of the chosen column
    (``columnSamples``, property ``field``). Tab walks the combos top to bottom.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "columns",
            "Match the columns",
            "Which column of the file holds each field? Guessed from the column names: check the guesses "
            "and change any that are wrong. Fields marked * are required.",
            parent,
        )
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setColumnStretch(2, 1)
        self._grid.setHorizontalSpacing(16)
        area = scrolling(self._grid_host, "columnsScroll")
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body.addWidget(area, 1)
        self.combos: dict[str, ChoiceCombo] = {}
        self._samples: dict[str, QLabel] = {}
        self._built_for: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None

    # --- building ----------------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        state = self.state
        headers = tuple(state.headers)
        built_for = (state.kind, headers, tuple(state.service_lines))
        if self._built_for != built_for:
            self._build(state.kind, headers, state.service_lines)
            self._built_for = built_for
        mapping = state.mapping
        if mapping is None:
            mapping = self._starting_mapping()
            state.mapping = mapping
        self._show(mapping)
        first = next(iter(self.combos.values()), None)
        if first is not None:
            self.focus_later(first)

    def _starting_mapping(self) -> Mapping:
        """The loaded mapping (when it is for this kind), else the guess from the headers."""
        state = self.state
        loaded = state.loaded_mapping
        if loaded is None or loaded.kind != state.kind:
            return mappings.guess_mapping(state.kind, state.headers)
        missing = sorted({header for header in loaded.columns.values() if header not in state.headers})
        if missing:
            self.messages.show_message(
                f"The mapping from {state.loaded_from.name if state.loaded_from else 'the file'} names "
                f"columns this file does not have ({', '.join(missing)}): choose the columns for those "
                "fields.",
                "info",
            )
        return Mapping(
            kind=loaded.kind,
            columns={name: header for name, header in loaded.columns.items() if header in state.headers},
            values={name: dict(words) for name, words in loaded.values.items()},
            date_format=loaded.date_format,
            defaults=dict(loaded.defaults),
        )

    def _build(self, kind: Kind, headers: tuple[str, ...], service_lines: list[str]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.combos.clear()
        self._samples.clear()
        columns: list[tuple[Hashable, str]] = [(None, NOT_IN_FILE)]
        columns += [(("column", header), header) for header in headers]
        for title, column in (("RefDesk field", 0), ("Column in the file", 1), ("First values in it", 2)):
            heading = plain_label("columnsHeading", title, wrap=False)
            heading.setStyleSheet("font-weight: 600;")
            self._grid.addWidget(heading, 0, column)
        fields = fields_of(kind)
        for row, name in enumerate(shown_order(kind), start=1):
            spec = fields[name]
            label = QLabel(f"{spec.label} *" if spec.required else spec.label)
            label.setObjectName("fieldLabel")
            label.setProperty("field", name)
            label.setTextFormat(Qt.TextFormat.PlainText)
            if spec.required:
                label.setToolTip("Required: every row must have it")
            choices = list(columns)
            if spec.defaultable:
                choices += [
                    (("default", value), EVERY_ROW + text)
                    for value, text in default_choices(spec, service_lines)
                ]
            combo = ChoiceCombo(choices)
            combo.setObjectName("columnChoice")
            combo.setProperty("field", name)
            combo.setAccessibleName(spec.label)
            combo.setMaxVisibleItems(20)
            label.setBuddy(combo)
            samples = plain_label("columnSamples", hide_empty=False, wrap=False, selectable=True)
            samples.setProperty("field", name)
            samples.setStyleSheet("color: #52606d;")
            # clipped rather than widening the page: a long value must not bring a sideways scroll bar
            samples.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            combo.currentIndexChanged.connect(lambda _index, field=name: self._changed(field))
            self._grid.addWidget(label, row, 0)
            self._grid.addWidget(combo, row, 1)
            self._grid.addWidget(samples, row, 2)
            self.combos[name] = combo
            self._samples[name] = samples
        self._grid.setRowStretch(len(self.combos) + 1, 1)

    def _show(self, mapping: Mapping) -> None:
        headers = self.state.headers
        for name, combo in self.combos.items():
            header = mapping.columns.get(name)
            default = mapping.defaults.get(name)
            if header is not None and header in headers:
                combo.set_value(("column", header))
            elif default:
                combo.set_value(("default", default), missing_label=EVERY_ROW + default)
            else:
                combo.set_value(None)
            self._show_samples(name)

    # --- choosing ----------------------------------------------------------------------------

    def _changed(self, name: str) -> None:
        self._show_samples(name)
        set_style_property(self.combos[name], "invalid", False)

    def _show_samples(self, name: str) -> None:
        choice = self.combos[name].value()
        if isinstance(choice, tuple) and choice[0] == "column":
            text = samples_of(self.state.samples, choice[1])
        elif isinstance(choice, tuple):
            text = "(the same for every row)"
        else:
            text = ""
        self._samples[name].setText(text)

    def current_mapping(self) -> Mapping:
        """The mapping with the columns (and every-row values) as chosen now; the values and the date
        format chosen in later steps are kept."""
        state = self.state
        base = state.mapping or Mapping(state.kind)
        columns: dict[str, str] = {}
        defaults: dict[str, str] = {}
        for name, combo in self.combos.items():
            choice = combo.value()
            if isinstance(choice, tuple) and choice[0] == "column":
                columns[name] = choice[1]
            elif isinstance(choice, tuple):
                defaults[name] = choice[1]
        return Mapping(
            kind=state.kind,
            columns=columns,
            values={name: dict(words) for name, words in base.values.items()},
            date_format=base.date_format,
            defaults=defaults,
        )

    # --- leaving -----------------------------------------------------------------------------

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        state = self.state
        mapping = self.current_mapping()
        missing = mappings.missing_required(mapping)
        if missing:
            labels = {spec.label: name for name, spec in fields_of(state.kind).items()}
            fields = fields_of(state.kind)
            every_row = any(fields[labels[label]].defaultable for label in missing if label in labels)
            hint = (
                " For a field the file lacks, its list also offers one value for every row."
                if every_row
                else ""
            )
            self.messages.show_message(f"Choose a column for: {', '.join(missing)}.{hint}")
            for label in missing:
                combo = self.combos.get(labels.get(label, ""))
                if combo is not None:
                    set_style_property(combo, "invalid", True)
            first = self.combos.get(labels.get(missing[0], ""))
            if first is not None:
                first.setFocus()
            return False
        state.mapping = mapping
        if state.analysis is not None and state.analysis.columns == mapping.columns:
            self._settle_dates()
            return True
        if self.busy:
            return False
        source = state.source
        assert source is not None

        def work(job: Work) -> Analysis:
            return analyse(source, mapping, job)

        self.run("Reading the values in the file…", work, self._analysed)
        return False

    def _settle_dates(self) -> None:
        """When the dates can be read only one way, that way goes into the mapping (and the file the
        user may save); when they are ambiguous the dates step asks."""
        state = self.state
        guess = state.analysis.dates if state.analysis is not None else None
        if state.mapping is not None and guess is not None and len(guess.candidates) == 1:
            state.mapping.date_format = cast(DateFormat, guess.candidates[0])

    def _analysed(self, analysis: Analysis) -> None:
        self.state.analysis = analysis
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self:
            wizard.next()  # validatePage now finds the analysis and lets the wizard on

    def cleanupPage(self) -> None:  # noqa: N802 - Qt's name
        """Back to the file step: keep what was chosen, stop reading for it."""
        self.drop_job()
        if self.combos and self.state.source is not None:
            self.state.mapping = self.current_mapping()
