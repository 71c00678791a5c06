"""Screens of a person's rights over their data (bot layer): their copy as a file, and the answer to erasure."""

from __future__ import annotations

from bot.dialogue.replies import Document, Reply
from services.i18n.catalogs import Translator
from services.privacy.types import DataExport, ErasureReceipt


def my_data(_: Translator, export: DataExport) -> Reply:
    """The person's copy of their data as a JSON file, with a caption saying what it holds and what it does not."""
    lines = [_("Here is a copy of everything Yoldosh stores about you (a JSON file).")]
    if export.notes_withheld:
        lines.append(
            _(
                "Counselors' private working notes are not included: they can concern other people's safety."
                " You can ask a counselor about them."
            )
        )
    filename = f"yoldosh-my-data-{export.generated_at:%Y-%m-%d}.json"
    return Reply("\n\n".join(lines), document=Document(filename=filename, content=export.document))


def erased(_: Translator, receipt: ErasureReceipt) -> Reply:
    """After erasure: what went and what a hold keeps; the chat is cleared first where Telegram still allows."""
    if not receipt.found:
        text = _("Yoldosh has nothing stored about you.")
    elif not receipt.held_cases:
        text = _("Done. Everything Yoldosh stored about you has been deleted. Write /start to begin again.")
    else:
        kept = _.ngettext(
            "One conversation with a counselor is kept, because a counselor placed it under a documented hold"
            " (for example to protect someone's safety). Nothing in it leads to you any more: your Telegram"
            " account, language and other details are deleted.",
            "{count} conversations with counselors are kept, because a counselor placed them under a documented"
            " hold (for example to protect someone's safety). Nothing in them leads to you any more: your"
            " Telegram account, language and other details are deleted.",
            receipt.held_cases,
        ).format(count=receipt.held_cases)
        text = "\n\n".join(
            (
                _("Done. Everything else Yoldosh stored about you has been deleted."),
                kept,
                _("Write /start to begin again."),
            )
        )
    return Reply(text, clear_chat=True, clear_message_ids=receipt.chat_message_ids)
