"""Once-only prefill: plugins that supply what the city already knows about the applicant.

A field declares ``"prefill": "<provider>.<attribute>"``. A provider is a class registered
with ``@prefill_provider("name")``; the engine asks each provider once per form session for
all the attributes the form uses. Two kinds exist:

* ``registry`` (built in, ``registry_source.py``): the linked resident's registry record.
  Read-only: the value is shown, never retyped, and a tampered POST is ignored.
* ``previous``: earlier submissions, supplied by the procedures app (which registers a
  provider under that name). Editable: the value is a starting point the resident may change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class PrefillContext:
    """Who is applying, with which form: what a provider needs to look values up."""

    user: Any
    form_key: str
    #: The registry record to prefill from when staff fill in for a resident at the counter
    #: (書かない窓口); None: the record linked to ``user``.
    resident: Any = None


@dataclass(frozen=True)
class Prefilled:
    """A value a provider supplied for a field, and where it came from."""

    value: Any
    provider: str
    label: str | Promise
    read_only: bool


class PrefillProvider:
    """Base class of prefill plugins; subclasses set the class attributes and ``values``."""

    name: str = ""
    #: Shown beside each prefilled field, e.g. 「住民記録より」 (lazy gettext).
    label: str | Promise = ""
    #: True: the value is authoritative and cannot be changed in the form.
    read_only: bool = False
    #: Attribute → label (for check_definition and correction reports); None: any attribute.
    attributes: Mapping[str, str | Promise] | None = None

    def values(self, context: PrefillContext, attributes: Iterable[str]) -> dict[str, Any]:
        """The values known for ``attributes`` (omit what is unknown; never raise for it)."""
        raise NotImplementedError


_PROVIDERS: dict[str, PrefillProvider] = {}


def prefill_provider(name: str) -> Callable[[type[PrefillProvider]], type[PrefillProvider]]:
    """Class decorator: register an instance of the class as the provider called ``name``."""

    def register(cls: type[PrefillProvider]) -> type[PrefillProvider]:
        instance = cls()
        instance.name = name
        _PROVIDERS[name] = instance
        return cls

    return register


def unregister(name: str) -> None:
    """Remove a provider (tests, or an instance that turns a source off)."""
    _PROVIDERS.pop(name, None)


def provider(name: str) -> PrefillProvider | None:
    return _PROVIDERS.get(name)


def collect(sources: Mapping[str, str], context: PrefillContext) -> dict[str, Prefilled]:
    """Field id → Prefilled for ``sources`` (field id → "provider.attribute").

    Each provider is asked once, for all its attributes together.
    """
    wanted: dict[str, dict[str, str]] = {}
    for field_id, source in sources.items():
        name, _dot, attribute = source.partition(".")
        wanted.setdefault(name, {})[field_id] = attribute
    found: dict[str, Prefilled] = {}
    for name, by_field in wanted.items():
        plugin = _PROVIDERS.get(name)
        if plugin is None:
            continue
        values = plugin.values(context, set(by_field.values()))
        for field_id, attribute in by_field.items():
            if values.get(attribute) not in (None, "", []):
                found[field_id] = Prefilled(values[attribute], name, plugin.label, plugin.read_only)
    return found
