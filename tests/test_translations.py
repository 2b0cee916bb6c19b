"""Every English catalogue is complete and its compiled .mo says the same as its .po, and every
message the code and templates mark for translation is in one of them, so an English page
never falls back to Japanese because someone forgot to extract, translate or compile."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

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


GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
# templatize turns {% translate %} and {% blocktranslate %} into gettext(u'…') calls
LITERAL = r"u'(?:[^'\\]|\\.)*'"
TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\(\s*({LITERAL})(?:\s*,\s*({LITERAL}))?")


def _python_messages(text: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args = node.args[1:] if name and name.startswith("pgettext") else node.args
        if name in GETTEXT and args and isinstance(args[0], ast.Constant):
            found.add(args[0].value)
    return found


def _template_messages(text: str, origin: str) -> set[str]:
    calls = TEMPLATE_CALL.finditer(templatize(text, origin=origin))
    return {ast.literal_eval(c[3] if "pgettext" in c[1] else c[2]) for c in calls}


def _marked_messages() -> dict[str, set[str]]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        if "migrations" not in path.parts:
            found[str(path.relative_to(SOURCE))] = _python_messages(path.read_text())
    for path in SOURCE.glob("**/templates/**/*.*"):
        if path.suffix in (".html", ".txt"):
            found[str(path.relative_to(SOURCE))] = _template_messages(path.read_text(), str(path))
    return found


def test_every_marked_message_is_in_a_catalogue():
    known = set()
    for po_path in CATALOGUES:
        known |= {e.msgid for e in polib.pofile(str(po_path)).translated_entries()}
    marked = _marked_messages()
    assert sum(map(len, marked.values())) > 2000  # the extraction itself works
    missing = {path: sorted(ids - known) for path, ids in marked.items() if ids - known}
    assert missing == {}
