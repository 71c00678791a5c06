"""Callback queries: answerCallbackQuery, once per open query, as Telegram allows."""

from __future__ import annotations

from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import QUERY_INVALID
from tests.telegram_standin.records import Refusal
from tests.telegram_standin.state import StandInState


class CallbackQueries(StandInState):
    """The callback query method (called with the lock held)."""

    def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        if query_id not in self._open_queries:
            raise Refusal(QUERY_INVALID)
        self._open_queries.discard(query_id)
        return True
