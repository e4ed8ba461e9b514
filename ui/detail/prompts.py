"""The detail view's prompt-bar offers: closing as Unable to reach at the attempt limit, and the
confirmation before First visit completed. Mixed into ``ui.referral_detail.ReferralDetail``."""

from __future__ import annotations

from collections.abc import Callable

from refdesk.domain import lifecycle
from refdesk.domain.lifecycle import CloseReason, State
from refdesk.domain.models import Referral
from refdesk.domain.next_action import Action
from refdesk.domain.vocab import AttemptOutcome
from refdesk.services.timeline import EntryKind, TimelineEntry
from ui.detail.bars import PromptBar

PROMPT_UNABLE_TO_REACH = "unable_to_reach"
PROMPT_CONFIRM_COMPLETED = "confirm_completed"


class DetailPrompts:
    """The prompt bar's offers of ``ReferralDetail`` (which provides ``prompt``, ``_referral``,
    ``_timeline``, ``_close`` and the offer state)."""

    prompt: PromptBar
    _referral: Referral | None
    _timeline: list[TimelineEntry]
    _offer_limit: bool
    _limit_dismissed_at: int | None
    _prompt_target: State | None
    _close: Callable[..., None]

    # -- the prompt bar ----------------------------------------------------------------------------

    def _ask(self, prompt: str, target: State, text: str, accept: str, action: Callable[[], None]) -> None:
        self._prompt_target = target
        self.prompt.ask(prompt, text, accept, action)

    def _clear_prompt(self) -> None:
        self._prompt_target = None
        self.prompt.clear()

    def _prompt_dismissed(self) -> None:
        if self._prompt_target is State.UNABLE_TO_REACH and self._referral is not None:
            self._limit_dismissed_at = self._referral.attempt_count
        self._prompt_target = None

    def _update_prompt(self, referral: Referral) -> None:
        allowed = lifecycle.allowed_targets(referral.state)
        if self._prompt_target is not None and self._prompt_target not in allowed:
            self._clear_prompt()  # the offer no longer applies (closed, reached, moved elsewhere)
        at_limit = self._offer_limit or referral.next_action is Action.CLOSE_UNREACHABLE
        self._offer_limit = False
        if (
            at_limit
            and State.UNABLE_TO_REACH in allowed
            and self._limit_dismissed_at != referral.attempt_count
            and self.prompt.prompt != PROMPT_CONFIRM_COMPLETED
        ):
            self._offer_unable_to_reach(referral)

    def _offer_unable_to_reach(self, referral: Referral) -> None:
        last = next((e for e in self._timeline if e.kind is EntryKind.ATTEMPT), None)
        wrong_number = last is not None and last.outcome is AttemptOutcome.WRONG_NUMBER
        reason = CloseReason.INVALID_CONTACT if wrong_number else CloseReason.NO_RESPONSE
        limit = referral.service_line.max_attempts
        self._ask(
            PROMPT_UNABLE_TO_REACH,
            State.UNABLE_TO_REACH,
            f"{referral.attempt_count} attempts logged ({referral.service_line.name} closes after {limit}). "
            f"Close as Unable to reach ({lifecycle.CLOSE_REASONS[reason].label})?",
            "&Yes, close as unable to reach",
            lambda: self._close(reason, None, referral.id),
        )
