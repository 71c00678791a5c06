"""Telegram's HTML parse mode, ported from tdlib's parse_html, and text length as Telegram counts it (UTF-16 units)."""

from __future__ import annotations

from typing import Any

HTML_TAGS = {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "span"}
HTML_TAGS |= {"pre", "code", "blockquote"}
ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline"}
ENTITY_TYPES |= {"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler"}
ENTITY_TYPES |= {"span": "spoiler", "pre": "pre", "code": "code", "a": "text_link", "tg-emoji": "custom_emoji"}
NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}


class HtmlError(ValueError):
    """Telegram's "can't parse entities" reason."""


def _is_space(byte: int) -> bool:
    return byte in b" \t\r\n\f\v"


def _html_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """The code point an &-entity at `pos` stands for and where it ends, or None when it is no entity."""
    end, value = pos + 1, 0
    if data[end : end + 1] == b"#":
        end += 1
        hexadecimal = data[end : end + 1] == b"x"
        end += hexadecimal
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        while end < len(data) and data[end] in digits:
            value = value * (16 if hexadecimal else 10) + int(chr(data[end]), 16)
            end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        if data[pos + 1 : end] not in NAMED_ENTITIES:
            return None
        value = ord(NAMED_ENTITIES[data[pos + 1 : end]])
    if 0xD800 <= value <= 0xDFFF:
        raise HtmlError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate "
            "code units"
        )
    return value, end + (data[end : end + 1] == b";")


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str, *, strict_ampersands: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """The text a user sees and its entities, or HtmlError with Telegram's wording and byte offsets.

    Telegram itself copies an "&" that starts no entity as it is; with `strict_ampersands` the stand-in refuses it,
    as the Bot API documentation asks ("All <, > and & symbols that are not a part of a tag or an HTML entity must
    be replaced"), so unescaped text is caught before it meets a "<".
    """
    data = source.encode()

    def at(index: int) -> int:
        return data[index] if index < len(data) else 0

    out = bytearray()
    offset = 0  # in UTF-16 units
    open_tags: list[tuple[str, str, int, int]] = []  # tag, argument, UTF-16 offset, position in `out`
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == ord("&"):
            decoded = _html_entity(data, i)
            if decoded is not None:
                out += chr(decoded[0]).encode()
                offset += 1 + (decoded[0] > 0xFFFF)
                i = decoded[1]
                continue
            if strict_ampersands:
                raise HtmlError(f'Unescaped "&" at byte offset {i}')
        if byte != ord("<"):
            offset += (byte & 0xC0 != 0x80) + (byte >= 0xF0)
            out.append(byte)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) and not _is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if not at(i):
                raise HtmlError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode(errors="replace").lower()
            if tag not in HTML_TAGS:
                raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument, i = _html_attributes(data, i, tag, begin)
            if tag == "span" and argument != "spoiler":
                raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
            open_tags.append((tag, argument, offset, len(out)))
            i += 1
            continue
        if not open_tags:
            raise HtmlError(f"Unexpected end tag at byte offset {begin}")
        while at(i) and not _is_space(at(i)) and at(i) != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode(errors="replace").lower()
        while _is_space(at(i)):
            i += 1
        if at(i) != ord(">"):
            raise HtmlError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, start, position = open_tags.pop()
        if end_tag and end_tag != tag:
            raise HtmlError(f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", found "</{end_tag}>"')
        if offset > start:
            _add_entity(entities, tag, argument, start, offset - start, out[position:].decode(errors="replace"))
        i += 1
    if open_tags:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only counts on <pre><code class="language-…">
    return out.decode(), sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def _html_attributes(data: bytes, i: int, tag: str, begin: int) -> tuple[str, int]:
    """Read a start tag's attributes up to its ">"; returns the argument Telegram keeps and the index of ">"."""

    def at(index: int) -> int:
        return data[index] if index < len(data) else 0

    argument = ""
    while at(i) != ord(">"):
        while at(i) and _is_space(at(i)):
            i += 1
        if at(i) == ord(">"):
            break
        name_begin = i
        while at(i) and not _is_space(at(i)) and at(i) not in b"=>":
            i += 1
        name = data[name_begin:i].decode(errors="replace")
        if not name:
            raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while at(i) and _is_space(at(i)):
            i += 1
        if at(i) != ord("="):
            if tag == "blockquote" and name == "expandable":
                argument = "expandable"
                continue
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {begin}'
            )
        i += 1
        while at(i) and _is_space(at(i)):
            i += 1
        if not at(i):
            raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if at(i) not in b"'\"":
            token_begin = i
            while at(i) and ((chr(at(i)).isascii() and chr(at(i)).isalnum()) or at(i) in b".-"):
                i += 1
            value = data[token_begin:i].decode().lower()
            if not _is_space(at(i)) and at(i) != ord(">"):
                raise HtmlError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote, i, raw = at(i), i + 1, bytearray()
            while at(i) and at(i) != quote:
                decoded = _html_entity(data, i) if at(i) == ord("&") else None
                if decoded is not None:
                    raw += chr(decoded[0]).encode()
                    i = decoded[1]
                else:
                    raw.append(at(i))
                    i += 1
            i += at(i) == quote
            value = raw.decode(errors="replace")
        if not at(i):
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        if (tag, name) in {("a", "href"), ("tg-emoji", "emoji-id")}:
            argument = value
        elif (tag, name) == ("code", "class") and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif (tag, name) == ("span", "class") and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
    return argument, i


def _add_entity(entities: list[dict[str, Any]], tag: str, argument: str, offset: int, length: int, inner: str) -> None:
    entity: dict[str, Any] = {"type": ENTITY_TYPES.get(tag, tag), "offset": offset, "length": length}
    last = entities[-1] if entities else {}
    same_span = last.get("offset") == offset and last.get("length") == length
    if tag == "blockquote":
        entity["type"] = "expandable_blockquote" if argument == "expandable" else "blockquote"
    elif tag == "a":
        entity["url"] = argument or inner.strip()
        if not entity["url"] or " " in entity["url"]:
            return  # Telegram drops a link it cannot read as a URL
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise HtmlError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = argument
    elif tag == "pre" and same_span and last.get("type") == "code" and last.get("language"):
        last["type"] = "pre"
        return
    elif tag == "code" and argument:
        entity["language"] = argument
    entities.append(entity)
