"""The channel plugins by code; a channel module registers itself when imported."""

from __future__ import annotations

from musubi.platform.notify.channels.base import Channel

_CHANNELS: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    """Class decorator: make ``cls`` available under ``cls.code``; a second code clash is a bug."""
    if cls.code in _CHANNELS and _CHANNELS[cls.code] is not cls:
        raise ValueError(f"channel code {cls.code!r} registered twice")
    _CHANNELS[cls.code] = cls
    return cls


def get(code: str) -> Channel:
    """A ready instance of the channel registered as ``code`` (KeyError if there is none)."""
    return _CHANNELS[code]()


def codes() -> list[str]:
    return sorted(_CHANNELS)
