"""Every English catalogue is complete and its compiled .mo says the same as its .po, so an
English page never falls back to Japanese because someone forgot to translate or compile."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

SOURCE = Path(__file__).parents[1] / "src" / "musubi"
CATALOGUES = sorted(SOURCE.glob("**/locale/en/LC_MESSAGES/django.po"))


def test_there_are_catalogues():
    assert SOURCE / "locale/en/LC_MESSAGES/django.po" in CATALOGUES and len(CATALOGUES) > 1


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_the_catalogue_is_complete_and_compiled(po_path):
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()] + [
        e.msgid for e in po.fuzzy_entries()
    ]
    assert untranslated == []
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in
                polib.mofile(str(po_path.with_suffix(".mo")))}  # fmt: skip
    written = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in po.translated_entries()}
    assert {k: v for k, v in written.items() if compiled.get(k) != v} == {}
