"""Make text that came from a submission safe to show: in a terminal, in Markdown, in HTML.

Failure messages, stack dumps and timelines quote the submission (its exception messages, its
values, its file names). Shown raw, an escape sequence in them can clear the student's terminal and
draw a fake score table, and Markdown or HTML in them can restyle a step summary or a class page.
Every renderer passes such text through one of these functions; the JSON report keeps the text as
it is (``json.dumps`` escapes control characters itself, so it stays valid).
"""

from __future__ import annotations

import html as _html
import re

# C0 controls except tab and newline, DEL, the C1 controls (0x9b alone is a CSI on some terminals),
# and the Unicode bidirectional overrides and isolates, which reorder what a line appears to say.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Characters with a meaning in Markdown inline text and GitHub tables ("<", ">" and "&" are left
# to the HTML escape, which GitHub's Markdown honours; a backslash before an entity would break it).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#!|~])")


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def control(text: str) -> str:
    """*text* with every control character other than newline and tab shown escaped.

    ``"\\x1b[2J"`` (clear screen) becomes the visible characters ``\\x1b[2J``; a carriage return
    becomes ``\\r`` so it cannot overwrite the start of the line.
    """
    return _UNSAFE.sub(_escape_one, text)


def one_line(text: str) -> str:
    """*text* escaped like :func:`control`, its line breaks and tabs turned into spaces."""
    return " ".join(control(text).split())


def markdown(text: str) -> str:
    """*text* as literal inline Markdown on one line (safe in a table cell)."""
    return _html.escape(_MARKDOWN.sub(r"\\\1", one_line(text)), quote=False)


def html(text: str) -> str:
    """*text* as literal HTML text or attribute value (control characters escaped too)."""
    return _html.escape(control(text), quote=True)


def code_block(text: str, info: str = "text") -> str:
    """*text* as a fenced Markdown code block: shown verbatim, its control characters escaped.

    The fence is longer than any run of backticks in the text, so the text cannot close it.
    """
    body = control(text)
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"
