"""The real ``ckanapi`` client, library and command line, against a running server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest

BIN = Path(sys.executable).parent
CLI = [str(BIN / "ckanapi")]


@pytest.fixture
def published(make_dataset):
    make_dataset("aed", csv=b"a\r\n1\r\n", tags=["防災"], title="AED設置箇所一覧")
    make_dataset("shelters", tags=["防災"], title="指定緊急避難場所一覧")
    make_dataset("budget", tags=["財政"], title="予算")


def test_remote_ckan_library(server, published):
    with ckanapi.RemoteCKAN(server) as ckan:
        assert ckan.action.package_list() == ["aed", "budget", "shelters"]
        package = ckan.action.package_show(id="aed")
        assert package["organization"]["name"] == "kikakushinko"
        found = ckan.action.package_search(q="防災", rows=10, sort="name asc")
        assert [p["name"] for p in found["results"]] == ["aed", "shelters"]
        assert ckan.action.organization_list(all_fields=True)[0]["name"] == "kikakushinko"
        assert ckan.action.status_show()["ckan_version"].startswith("2.")
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="missing")
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.package_show()
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq="colour:red")


def test_remote_ckan_with_get_only(server, published):
    with ckanapi.RemoteCKAN(server, get_only=True) as ckan:
        assert ckan.action.package_show(id="budget")["title"] == "予算"


def _cli(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI; ``dump`` starts its workers as ``ckanapi`` found on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_cli_action_search_and_dump(server, published):
    listed = _cli("action", "package_list", "-r", server)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == ["aed", "budget", "shelters"]
    searched = _cli("search", "datasets", 'q:"防災"', "-r", server)
    assert searched.returncode == 0, searched.stderr
    names = sorted(json.loads(line)["name"] for line in searched.stdout.splitlines())
    assert names == ["aed", "shelters"]
    dumped = _cli("dump", "datasets", "--all", "-r", server)
    assert dumped.returncode == 0, dumped.stderr
    packages = [json.loads(line) for line in dumped.stdout.splitlines()]
    assert sorted(p["name"] for p in packages) == ["aed", "budget", "shelters"]
    assert all(p["resources"] is not None for p in packages)
