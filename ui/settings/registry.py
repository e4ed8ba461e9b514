"""The Settings dialog's pages: one ``PageSpec`` line each, in the order the list shows them.

A page is any widget built by ``factory(db, actor, parent)``. Factories import their module when the
page is first opened, not when the dialog is, so Settings opens at once and a page whose module is
missing (a build without it) shows a plain "not available" line instead of breaking the dialog.
``widget_page`` and ``dialog_page`` make such factories from an import path; ``dialog_page`` embeds a
``QDialog`` (see ``ui.settings.embed``).

What a page may offer the dialog (all optional, found by name):
    ``saved`` (a signal, any arguments): an edit was saved; the dialog says "Saved at ...".
    ``settings_changed(key)``: another page (``key``) saved an edit; follow it if it matters here.
    ``maybe_leave(then=None) -> bool``: whether the page may be left now (unsaved work asks first;
        ``then`` runs once a save the user chose has finished).
    ``minutes_changed`` (a signal, int): the idle-lock minutes were saved.

Work a page runs off the GUI thread goes through the dialog's runner: ``runner_for(parent)``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QVBoxLayout, QWidget

from refdesk.domain.vocab import StaffRole
from refdesk.services.actor import Actor
from refdesk.services.service_lines import SETTINGS_EDITORS
from refdesk.storage import Database
from ui.tasks import TaskRunner
from ui.widgets import plain_label

log = logging.getLogger(__name__)

PageFactory = Callable[[Database, Actor, QWidget], QWidget]

EVERYONE = frozenset(StaffRole)
#: Administrators and coordinators: they run the clinic's settings (``refdesk.services.service_lines``).
EDITORS = SETTINGS_EDITORS
ADMINS = frozenset({StaffRole.ADMIN})

UNAVAILABLE = "This page is not available in this version of RefDesk."
BROKEN = "This page cannot be shown; the details are in the log file. Please tell your IT contact."


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page of Settings: its key (``SettingsDialog(page=key)``), its title in the list, how to
    build it, and the roles that see it (others never see it listed)."""

    key: str
    title: str
    factory: PageFactory
    roles: frozenset[StaffRole]


_fallback_runner: TaskRunner | None = None


def runner_for(widget: QWidget | None) -> TaskRunner:
    """The task runner of the Settings dialog that holds ``widget`` (its ``task_runner``), so a page's
    work shares the dialog's pool and tests can run it inline; a page shown elsewhere gets a shared one."""
    global _fallback_runner
    while widget is not None:
        runner = getattr(widget, "task_runner", None)
        if isinstance(runner, TaskRunner):
            return runner
        widget = widget.parentWidget()
    if _fallback_runner is None:
        _fallback_runner = TaskRunner()
    return _fallback_runner


def unavailable(parent: QWidget | None, text: str = UNAVAILABLE) -> QWidget:
    """The plain line shown in place of a page that cannot be built."""
    page = QWidget(parent)
    page.setObjectName("pageUnavailable")
    label = plain_label("pageUnavailableText", text)
    layout = QVBoxLayout(page)
    layout.addWidget(label)
    layout.addStretch(1)
    return page


def _load(module: str, name: str) -> Callable[..., QWidget] | None:
    try:
        found = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if not (module == missing or module.startswith(missing + ".")):  # something the module needs
            log.warning("settings page %s.%s cannot be imported", module, name, exc_info=True)
        return None
    except (ImportError, AttributeError):
        log.warning("settings page %s.%s cannot be imported", module, name, exc_info=True)
        return None
    return found if isinstance(found, type) and issubclass(found, QWidget) else None


def widget_page(module: str, name: str) -> PageFactory:
    """A factory for the widget class ``module.name``, built as ``name(db, actor, parent)``."""

    def factory(db: Database, actor: Actor, parent: QWidget) -> QWidget:
        kind = _load(module, name)
        if kind is None:
            return unavailable(parent)
        try:
            return kind(db, actor, parent)
        except Exception:
            log.exception("settings page %s.%s failed to build", module, name)
            return unavailable(parent, BROKEN)

    return factory


def dialog_page(module: str, name: str) -> PageFactory:
    """A factory that embeds the dialog class ``module.name`` as a page (``ui.settings.embed``), built as
    ``name(db, actor, parent)``: it keeps its own task runner (and so its own choice of threads), as it
    would open on its own."""

    def factory(db: Database, actor: Actor, parent: QWidget) -> QWidget:
        from ui.settings.embed import DialogPage

        kind = _load(module, name)
        if kind is None:
            return unavailable(parent)
        page = DialogPage(parent)
        try:
            page.embed(kind(db, actor, page))
        except Exception:
            log.exception("settings page %s.%s failed to build", module, name)
            page.deleteLater()
            return unavailable(parent, BROKEN)
        return page

    return factory


# -- the pages this package builds ----------------------------------------------------------------------


def _letterhead(db: Database, actor: Actor, parent: QWidget) -> QWidget:
    from ui.dialogs.letterhead import LetterheadPage

    return LetterheadPage(db, actor, runner_for(parent), parent)


def _targets(db: Database, actor: Actor, parent: QWidget) -> QWidget:
    from ui.settings.targets_page import TargetsPage

    return TargetsPage(db, actor, runner_for(parent), parent)


def _service_lines(db: Database, actor: Actor, parent: QWidget) -> QWidget:
    from ui.settings.lines_page import ServiceLinesPage

    return ServiceLinesPage(db, actor, runner_for(parent), parent)


def _intake_scripts(db: Database, actor: Actor, parent: QWidget) -> QWidget:
    from ui.settings.intake_page import SettingsIntakeScriptsPage

    return SettingsIntakeScriptsPage(db, actor, runner_for(parent), parent)


def _idle_lock(db: Database, actor: Actor, parent: QWidget) -> QWidget:
    try:
        from ui.settings.idle_page import IdleLockPage
    except ImportError:  # the security settings service is not in this build
        log.info("idle lock page not available", exc_info=True)
        return unavailable(parent)
    return IdleLockPage(db, actor, runner_for(parent), parent)


#: The pages, in list order. Front desk reads the targets and service lines (read-only: what partners
#: are told, and the deadlines they work to); the rest is for those who run the clinic's settings.
PAGES: list[PageSpec] = [
    PageSpec("letterhead", "Clinic and letterhead", _letterhead, EDITORS),
    PageSpec("targets", "Response targets", _targets, EVERYONE),
    PageSpec("service_lines", "Service lines", _service_lines, EVERYONE),
    PageSpec("intake_scripts", "Intake scripts", _intake_scripts, EDITORS),
    PageSpec("idle_lock", "Idle lock", _idle_lock, ADMINS),
    PageSpec("backups", "Backups", dialog_page("ui.backups.page", "BackupsDialog"), ADMINS),
    PageSpec("staff", "Staff", dialog_page("ui.admin.staff", "StaffDialog"), ADMINS),
    PageSpec("audit_log", "Audit log", dialog_page("ui.admin.audit_viewer", "AuditDialog"), ADMINS),
]


def pages_for(role: StaffRole, pages: list[PageSpec] | None = None) -> list[PageSpec]:
    """The pages ``role`` sees, in order."""
    return [spec for spec in (PAGES if pages is None else pages) if role in spec.roles]
