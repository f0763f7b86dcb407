"""Text from users and feeds shown as text: never as Markdown, never as HTML.

Streamlit renders alerts, captions and ``st.markdown`` as Markdown, where an
outside title such as ``![x](http://…)`` would make the browser fetch that
address. Such text goes through :func:`plain` (every Markdown character
escaped) or into ``st.text`` / a data frame cell; only http(s) links become links.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from forecasts.errors import Invalid
from forecasts.rules import check_http_url

# Every ASCII punctuation mark CommonMark lets a backslash escape, which covers Streamlit's own
# ':colour[…]' and ':material/…:' directives too.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Everything a URL may hold unencoded except what Markdown reads inside a link: ( ) < > [ ] \ and spaces.
_URL_SAFE = ":/?#@!$&'*+,;=%-._~"


def plain(text: object) -> str:
    """``text`` escaped so Markdown shows it exactly as written."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", "  \n")


def markdown_link(label: str, url: object) -> str:
    """``[label](url)`` for an http(s) address, else "": the characters that could close or nest
    Markdown's link syntax are percent-encoded, so the address stays one link."""
    link = http_link(url)
    if link is None:
        return ""
    return f"[{plain(label)}]({quote(link, safe=_URL_SAFE)})"


def http_link(url: object) -> str | None:
    """The address if it is http(s) (the rule sources are checked by), else None: nothing else is
    ever made clickable."""
    if not isinstance(url, str):
        return None
    try:
        return check_http_url(url)
    except Invalid:
        return None
