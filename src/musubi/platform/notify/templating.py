"""Templates with ``{placeholders}``: checked when authored, so a send never finds a hole.

A placeholder is a name in braces (``{date}``); ``{{`` and ``}}`` stand for literal braces.
Every declared placeholder must appear in every language's body, and no text may use a name
that is not declared, so the mistake surfaces on the authoring screen, naming the culprit.
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_FORMATTER = string.Formatter()


def names_in(text: str) -> set[str]:
    """The placeholder names ``text`` uses; a malformed brace is a ValidationError."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise ValidationError(
            _("波括弧の対応が正しくありません：%(error)s") % {"error": exc}
        ) from exc
    names = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValidationError(
                _("差し込み項目「{%(name)s}」の書き方が正しくありません。") % {"name": name}
            )
        names.add(name)
    return names


def check_template(
    subjects: dict[str, str], bodies: dict[str, str], placeholders: list[str]
) -> None:
    """Raise a ValidationError naming each unknown or missing placeholder, per language."""
    errors: list[str] = []
    declared = set(placeholders)
    if not bodies.get("ja"):
        errors.append(_("日本語の本文は必須です。"))
    for language in sorted(set(subjects) | set(bodies)):
        used_subject = names_in(subjects.get(language, ""))
        used_body = names_in(bodies.get(language, ""))
        for name in sorted((used_subject | used_body) - declared):
            errors.append(
                _("%(language)s：差し込み項目「{%(name)s}」は定義されていません。")
                % {"language": language, "name": name}
            )
        for name in sorted(declared - used_body):
            errors.append(
                _("%(language)s：差し込み項目「{%(name)s}」が本文にありません。")
                % {"language": language, "name": name}
            )
    if errors:
        raise ValidationError(errors)


def render(text: str, values: dict[str, str]) -> str:
    return text.format_map({k: str(v) for k, v in values.items()})


def check_values(placeholders: list[str], values: dict[str, str]) -> None:
    """Every placeholder needs a value and no value may be left over (typos in API calls)."""
    errors = [
        _("差し込み項目「%(name)s」の値がありません。") % {"name": name}
        for name in placeholders
        if not str(values.get(name, "")).strip()
    ]
    errors += [
        _("差し込み項目「%(name)s」はこのテンプレートにありません。") % {"name": name}
        for name in sorted(set(values) - set(placeholders))
    ]
    if errors:
        raise ValidationError(errors)
