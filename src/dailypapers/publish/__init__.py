"""Publishing: the static HTML site and uploads of the reports.

- ``files``: :func:`write_atomic` (temp file + ``os.replace``) and :func:`upload` (copy report
  files to a folder or ``s3://bucket/prefix`` through fsspec, keeping the ``YYYY/MM/`` layout;
  idempotent).
- ``site``: :func:`build_site` (a page per date, an index of dates, an Atom feed, a search box) and
  :func:`render_day_page` (one date's page).
- ``sanitize``: :func:`markdown_to_html` (untrusted Markdown to nh3-clean HTML, math kept) and
  :func:`safe_url` (http/https only), for every stage of publishing that shows untrusted text.

Delivery (e-mail, chat, Wiki.js) lives in sibling modules of this package.
"""

from __future__ import annotations

from .files import display_url, upload, write_atomic
from .notify import DeliveryResult, deliver, raise_for_failures, validate_targets
from .sanitize import markdown_to_html, safe_url
from .site import build_site, page_relpath, render_day_page
from .wikijs import WikiPublishResult, is_wikijs_url, parse_wikijs_url, publish_wikijs

__all__ = [
    "DeliveryResult",
    "WikiPublishResult",
    "build_site",
    "deliver",
    "display_url",
    "is_wikijs_url",
    "markdown_to_html",
    "page_relpath",
    "parse_wikijs_url",
    "publish_wikijs",
    "raise_for_failures",
    "render_day_page",
    "safe_url",
    "upload",
    "validate_targets",
    "write_atomic",
]
