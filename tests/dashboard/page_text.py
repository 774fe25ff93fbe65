"""What a reader sees on the rendered page, as text: the Findings sentences apart from everything else
(cards, tables, notes); scripts and styles are not text a reader sees."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# A number as written on the page: 6,606 / 67.23 / -0.08 / 4 (a minus sign is part of it).
NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


@dataclass
class PageText:
    findings: list[str] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text = PageText()
        self._skip = 0  # inside <script>/<style>
        self._findings_depth = 0  # inside <section id="findings">: count nested sections
        self._item: list[str] | None = None
        self._badge = False
        self._link = False  # the "numbers" link after a finding is not part of its sentence

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "section" and (self._findings_depth or attributes.get("id") == "findings"):
            self._findings_depth += 1
        elif tag == "li" and self._findings_depth:
            self._item = []
        elif tag == "span" and self._item is not None and "badge" in (attributes.get("class") or ""):
            self._badge = True
            self.text.badges.append("")
        elif tag == "a" and self._item is not None:
            self._link = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "section" and self._findings_depth:
            self._findings_depth -= 1
        elif tag == "li" and self._item is not None:
            self.text.findings.append("".join(self._item).strip())
            self._item = None
        elif tag == "span":
            self._badge = False
        elif tag == "a":
            self._link = False

    def handle_data(self, data: str) -> None:
        if self._skip or self._link:
            return
        if self._badge:
            self.text.badges[-1] += data
        elif self._item is not None:
            self._item.append(data)
        elif not self._findings_depth:
            self.text.rest.append(data)


def read(html: str) -> PageText:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.text


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))
