"""What a shopper reads on a page, for tests that check it as they would."""

import html
import re

_MESSAGE = re.compile(r'<article class="message message-[\w ]+" role="(?:alert|status)">(.*?)</article>', re.S)


def messages_of(response) -> list[str]:
    """The messages the page shows (the frame's messages section), as text."""
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in _MESSAGE.findall(response.content.decode())]
