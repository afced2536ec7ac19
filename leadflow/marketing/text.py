"""Markdown written by staff (research reports), shown as HTML: CommonMark with raw HTML
turned off, so a report can carry headings, lists and links but never a script."""

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})


def rendered_markdown(text: str) -> SafeString:
    # Safe: markdown-it escapes every character of the input that is not Markdown, and
    # refuses javascript:/vbscript:/data: links (its validateLink).
    return mark_safe(_MARKDOWN.render(text))  # noqa: S308
