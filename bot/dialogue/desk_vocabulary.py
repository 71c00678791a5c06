"""What counselors choose from (bot layer): ready replies in the user's language and how a case ended."""

from __future__ import annotations

from services.i18n.catalogs import N_

# Ready replies a counselor sends with /canned, each in the user's own language.
CANNED_REPLIES: tuple[str, ...] = (
    N_("Hello, I am a counselor. I am here to listen. You can write to me in your own words, at your own pace."),
    N_("Are you safe right now? If you are in danger, please call the emergency number first."),
    N_("Thank you for telling me. What you feel makes sense, and you are not alone with it."),
    N_("I am looking for the right service for you. Please give me a few minutes."),
    N_("We can talk again tomorrow. Write here when it suits you, and a counselor will answer."),
    N_("Everything you write here stays between you and the counselors. We do not share it without your agreement."),
)

# How a case ended: stored codes and the labels the desk shows.
OUTCOMES: dict[str, str] = {
    "helped": N_("Helped"),
    "referred": N_("Referred to a service"),
    "emergency": N_("Emergency services involved"),
    "no_reply": N_("No answer from the user"),
    "other": N_("Other"),
}
