"""The shared cache on a real redis-server: lockout counters and /healthz.

With several web processes, a per-process cache would let an attacker spread guesses
across processes; these tests prove the counters live in Redis itself.
"""

from __future__ import annotations

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import Client, override_settings
from django.urls import reverse

from musubi.devtools import redis as redis_server
from musubi.platform.api.views import VERSION

LOCKED = "一時的にロックされています"


def _redis_caches(url: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


@pytest.fixture
def redis_url():
    with redis_server.running_server() as url:
        yield url


@pytest.fixture
def shared_cache(redis_url, settings):
    settings.REDIS_URL = redis_url
    with override_settings(CACHES=_redis_caches(redis_url)):
        yield redis_url


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3)
def test_lockout_counts_guesses_spread_over_web_processes(client, django_user_model, shared_cache):
    login = reverse("accounts:login")
    client.post(login, {"email": "nobody@example.jp", "password": "guess-1"})
    client.post(login, {"email": "nobody@example.jp", "password": "guess-2"})
    other_process = RedisCache(shared_cache, {})
    stored = other_process._cache.get_client().keys("*")
    assert stored, "the failure counter must be in Redis, not in this process's memory"
    page = Client().post(login, {"email": "nobody@example.jp", "password": "guess-3"})
    assert LOCKED in page.content.decode()


def test_healthz_checks_redis_when_configured(client, db, shared_cache):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "version": VERSION}


def test_healthz_is_503_when_redis_is_down(client, db, settings):
    with redis_server.running_server() as url:
        settings.REDIS_URL = url
        caches = _redis_caches(url)
    with override_settings(CACHES=caches):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"
    assert response.json()["database"] == "ok"
