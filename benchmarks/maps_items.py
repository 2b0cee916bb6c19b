"""OGC API – Features items requests/s for a 5,000-feature layer: Musubi beside pygeoapi.

Both servers run as separate processes under waitress with the same number of threads and serve
the same 5,000 points; the load comes from client threads in this process, each asking for a page
of ``limit=10`` at a random offset (a tenth of requests also with a bbox). pygeoapi 0.21.x (the
last line that runs on Python 3.11) is installed into its own venv under var/bench-pygeoapi on
first use. Its provider is chosen with ``--provider``: GeoJSON (the file, read per request) or
SQLiteGPKG (a GeoPackage written with ogr2ogr, read through mod_spatialite).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from _throwaway import ROOT, percentile, setup


def _options(parser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="load per server")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads per server")
    parser.add_argument("--provider", choices=["GeoJSON", "SQLiteGPKG"], default="SQLiteGPKG")
    parser.add_argument("--musubi-only", action="store_true", help="skip pygeoapi")


args = setup(__doc__, _options)

from musubi.data.maps import services  # noqa: E402
from musubi.data.maps.models import Layer  # noqa: E402
from musubi.devtools.packages import apt_install, free_port  # noqa: E402
from musubi.platform.accounts.models import Department  # noqa: E402

FEATURES = 5000
PYGEOAPI_VENV = ROOT / "var" / "bench-pygeoapi"
SPATIALITE = "/usr/lib/x86_64-linux-gnu/mod_spatialite.so"


def seed(rng: random.Random) -> Path:
    """A 5,000-point layer in Musubi and the same points as a GeoJSON file."""
    department, _ = Department.objects.get_or_create(
        code="kikikanri", defaults={"name": "危機管理課"}
    )
    layer = Layer.objects.create(
        code="points", name="地点", name_en="Points", department=department, geometry_type="Point"
    )
    features = [
        {
            "type": "Feature",
            "id": n + 1,
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(137.85 + rng.random() * 0.15, 6),
                    round(35.69 + rng.random() * 0.07, 6),
                ],
            },
            "properties": {"名称": f"地点{n:04d}", "種別": rng.choice(["A", "B", "C"]), "値": n},
        }
        for n in range(FEATURES)
    ]
    document = {"type": "FeatureCollection", "features": features}
    data = json.dumps(document, ensure_ascii=False).encode()
    report = services.import_features(layer, data, "geojson")
    assert report.ok, report.problems
    path = args.workdir / "points.geojson"
    path.write_bytes(data)
    return path


def pygeoapi_python() -> Path:
    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        print("installing pygeoapi 0.21.x into", PYGEOAPI_VENV, flush=True)
        # Debian's Python: its sqlite3 may load mod_spatialite (pyenv builds often cannot)
        base = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
        subprocess.run([base, "-m", "venv", str(PYGEOAPI_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "pygeoapi>=0.21,<0.22", "waitress"]
        subprocess.run(pip, check=True)
    return python


def pygeoapi_data(geojson: Path) -> tuple[str, Path]:
    if args.provider == "GeoJSON":
        return "GeoJSON", geojson
    gpkg = args.workdir / "points.gpkg"
    apt_install("libsqlite3-mod-spatialite", provides=SPATIALITE)
    ogr2ogr = shutil.which("ogr2ogr") or apt_install("gdal-bin", provides="ogr2ogr")
    subprocess.run([ogr2ogr, "-f", "GPKG", str(gpkg), str(geojson), "-nln", "points"], check=True)
    return "SQLiteGPKG", gpkg


def pygeoapi_config(port: int, geojson: Path) -> Path:
    provider, data = pygeoapi_data(geojson)
    contact = {"name": "bench", "email": "bench@example.org", "url": "https://example.org"}
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 1000},
            "map": {"url": "https://example.org/{z}/{x}/{y}.png", "attribution": "x"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "https://example.org",
                "url": "https://example.org",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "bench", "url": "https://example.org"},
            "contact": contact,
        },
        "resources": {
            "points": {
                "type": "collection",
                "title": "points",
                "description": "points",
                "keywords": ["points"],
                "extents": {"spatial": {"bbox": [137.8, 35.6, 138.1, 35.8]}},
                "providers": [
                    {
                        "type": "feature",
                        "name": provider,
                        "data": str(data),
                        "id_field": "id" if provider == "GeoJSON" else "fid",
                        **({"table": "points"} if provider == "SQLiteGPKG" else {}),
                    }
                ],
            }
        },
    }
    path = args.workdir / "pygeoapi.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def start_pygeoapi(port: int, geojson: Path) -> subprocess.Popen:
    python = pygeoapi_python()
    config = pygeoapi_config(port, geojson)
    openapi = args.workdir / "pygeoapi-openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    generate = [str(python.parent / "pygeoapi"), "openapi", "generate", str(config)]
    subprocess.run([*generate, "--output-file", str(openapi)], check=True, env=env)
    serve = [str(python), "-m", "waitress", f"--port={port}", f"--threads={args.threads}"]
    return subprocess.Popen([*serve, "pygeoapi.flask_app:APP"], env=env)


def start_musubi(port: int) -> subprocess.Popen:
    code = (
        "import django; django.setup();"
        "from waitress import serve; from musubi.wsgi import application;"
        f"serve(application, host='127.0.0.1', port={port}, threads={args.threads}, _quiet=True)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def wait_for(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def load(items_url: str) -> tuple[float, list[float], int]:
    """Good answers/s, their latencies (ms) and the count of failed requests."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=30) as http:
            while time.perf_counter() < deadline:
                params = {"limit": "10", "offset": str(rng.randrange(FEATURES - 10)), "f": "json"}
                if rng.random() < 0.1:
                    params = {"limit": "10", "bbox": "137.90,35.70,137.95,35.74", "f": "json"}
                started = time.perf_counter()
                response = http.get(items_url, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                good = response.status_code == 200 and len(response.json()["features"]) == 10
                with lock:
                    (latencies if good else failures).append(elapsed)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - began), latencies, len(failures)


def measure(name: str, base: str) -> float:
    items = f"{base}/collections/points/items"
    wait_for(items)
    rate, latencies, failed = load(items)
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    print(
        f"{name:28} {rate:8.1f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   failed {failed}",
        flush=True,
    )
    return rate


def main() -> None:
    geojson = seed(random.Random(202100))
    print(f"{FEATURES:,} points; {args.clients} clients, {args.threads} server threads, "
          f"{args.seconds:.0f} s each")  # fmt: skip
    musubi_port = free_port()
    musubi = start_musubi(musubi_port)
    try:
        ours = measure("Musubi /ogc", f"http://127.0.0.1:{musubi_port}/ogc")
    finally:
        musubi.terminate()
        musubi.wait()
    if args.musubi_only:
        return
    pygeoapi_port = free_port()
    pygeoapi = start_pygeoapi(pygeoapi_port, geojson)
    try:
        theirs = measure(f"pygeoapi 0.21 ({args.provider})", f"http://127.0.0.1:{pygeoapi_port}")
    finally:
        pygeoapi.terminate()
        pygeoapi.wait()
    print(f"Musubi / pygeoapi: {ours / theirs:.1f}x (target >= 2x)")


main()
