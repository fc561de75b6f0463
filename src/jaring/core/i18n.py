"""One translation mechanism: English msgids through gettext, Indonesian in ``locale/id``.

Rule data that is stored (a claim's eligibility, an heir decision) keeps both languages side by
side; :func:`both` renders one lazy msgid in each so that the stored text never depends on the
language active when it was computed.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import lazy


def render(text, language: str, **values) -> str:
    """``text`` (a lazy msgid) in ``language``, with ``%(name)s`` placeholders filled."""
    with translation.override(language):
        rendered = str(text)
        return rendered % values if values else rendered


def both(text, **values) -> tuple[str, str]:
    """(English, Indonesian) renderings of one msgid."""
    return render(text, "en", **values), render(text, "id", **values)


def _pick(english: str, indonesian: str) -> str:
    language = translation.get_language() or "id"
    return english if language.startswith("en") and english else indonesian


def stored(english: str, indonesian: str):
    """Text stored in both languages (a claim's reason), shown in the language active when it
    is rendered."""
    return lazy(_pick, str)(english, indonesian)
