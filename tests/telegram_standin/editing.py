"""Editing and deleting methods: editMessageText, editMessageReplyMarkup, deleteMessage, deleteMessages."""

from __future__ import annotations

import copy
from typing import Any

from tests.telegram_standin.checks import MessageChecks
from tests.telegram_standin.params import Params
from tests.telegram_standin.protocol import DELETABLE_FOR, NOT_MODIFIED, sent_by_bot
from tests.telegram_standin.records import Refusal


class Editing(MessageChecks):
    """The methods that change or remove a message already in a chat (called with the lock held)."""

    def _to_edit(self, params: Params) -> dict[str, Any]:
        if params.has("inline_message_id"):
            raise Refusal("Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message = self._message(int(chat["id"]), params.integer("message_id"))
        if message is None:
            raise Refusal("Bad Request: message to edit not found")
        if not sent_by_bot(message):
            raise Refusal("Bad Request: message can't be edited")
        return message

    def _edited(
        self, message: dict[str, Any], changes: dict[str, Any], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        changes = {**changes, "reply_markup": markup}
        if all(message.get(key) == value for key, value in changes.items()):
            raise Refusal(NOT_MODIFIED)
        self._throttle(int(message["chat"]["id"]))
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = self._now()
        return copy.deepcopy(message)

    def _edit_text(self, params: Params) -> dict[str, Any]:
        message = self._to_edit(params)
        if "text" not in message:
            raise Refusal("Bad Request: there is no text in the message to edit")
        content = self._message_text(params)
        return self._edited(message, {"entities": None, **content}, self._markup(params))

    def _edit_reply_markup(self, params: Params) -> dict[str, Any]:
        return self._edited(self._to_edit(params), {}, self._markup(params))

    def _deletable(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        message = self._message(chat_id, message_id)
        if message is not None and self._now() - int(message["date"]) >= DELETABLE_FOR:
            raise Refusal("Bad Request: message can't be deleted for everyone")
        return message

    def _delete_message(self, params: Params) -> bool:
        chat_id = int(self._chat(params)["id"])
        message_id = params.integer("message_id") or 0
        if self._deletable(chat_id, message_id) is None:
            raise Refusal("Bad Request: message to delete not found")
        self.deleted.setdefault(chat_id, set()).add(message_id)
        return True

    def _delete_messages(self, params: Params) -> bool:
        chat_id = int(self._chat(params)["id"])
        ids = params.json("message_ids")
        if not params.has("message_ids") or ids == []:
            raise Refusal("Bad Request: message identifiers are not specified")
        if not isinstance(ids, list):
            raise Refusal("Bad Request: expected an Array of message identifiers")
        if len(ids) > 100:
            raise Refusal("Bad Request: too many message identifiers specified")
        if any(not isinstance(message_id, int) or message_id <= 0 for message_id in ids):
            raise Refusal("Bad Request: invalid message identifier specified")
        found = [message_id for message_id in ids if self._deletable(chat_id, message_id) is not None]
        self.deleted.setdefault(chat_id, set()).update(found)  # missing ones are skipped, as Telegram does
        return True
