"""The OpenAPI 3.0 description of /ogc/, built from the public layers so each has its path.

OGC API – Features clients (and the oas30 conformance class) read it from the landing page's
``service-desc`` link.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from musubi.data.maps import ogc, ogc_crs
from musubi.data.maps.models import Layer

_JSON = {"application/json": {"schema": {"type": "object"}}}
_GEOJSON = {
    ogc.GEOJSON: {"schema": {"type": "object"}},
    "text/html": {"schema": {"type": "string"}},
}
_PAGE = {
    "application/json": {"schema": {"type": "object"}},
    "text/html": {"schema": {"type": "string"}},
}


def _parameter(name: str, schema: dict[str, Any], description: str, where: str = "query") -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": False} if name == "bbox" else {}),
    }


PARAMETERS = {
    "f": _parameter("f", {"type": "string", "enum": ["json", "html"]}, "Response format."),
    "bbox": _parameter(
        "bbox",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "Bounding box in CRS84: min lon, min lat, max lon, max lat.",
    ),
    "crs": _parameter(
        "crs",
        {"type": "string", "format": "uri", "enum": ogc_crs.supported()},
        "CRS of the returned geometries (OGC API – Features Part 2); default CRS84.",
    ),
    "bbox-crs": _parameter(
        "bbox-crs",
        {"type": "string", "format": "uri", "enum": ogc_crs.supported()},
        "CRS of the bbox parameter, in that CRS's axis order; default CRS84.",
    ),
    "limit": _parameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": ogc.MAX_LIMIT, "default": ogc.DEFAULT_LIMIT},
        "Maximum number of features in the response.",
    ),
    "offset": _parameter(
        "offset", {"type": "integer", "minimum": 0, "default": 0}, "Features to skip."
    ),
    "datetime": _parameter(
        "datetime", {"type": "string"}, "Instant or interval (RFC 3339) of the last update."
    ),
    "collectionId": _parameter("collectionId", {"type": "string"}, "Layer code.", "path"),
    "featureId": _parameter("featureId", {"type": "string"}, "Feature id.", "path"),
}
_ERRORS = {
    "400": {"description": "Bad parameter", "content": _JSON},
    "404": {"description": "Not found", "content": _JSON},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _operation(op_id: str, summary: str, params: list[str], content: dict) -> dict[str, Any]:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "parameters": [_ref(p) for p in params],
            "responses": {"200": {"description": summary, "content": content}, **_ERRORS},
        }
    }


def document(base: str, layers: QuerySet[Layer]) -> dict[str, Any]:
    paths = {
        "/": _operation("getLandingPage", "Landing page", ["f"], _PAGE),
        "/conformance": _operation("getConformance", "Conformance classes", ["f"], _PAGE),
        "/collections": _operation("getCollections", "Feature collections", ["f"], _PAGE),
        "/collections/{collectionId}": _operation(
            "describeCollection", "A feature collection", ["collectionId", "f"], _PAGE
        ),
        "/collections/{collectionId}/items": _operation(
            "getFeatures",
            "Features of a collection",
            ["collectionId", "f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime"],
            _GEOJSON,
        ),
        "/collections/{collectionId}/items/{featureId}": _operation(
            "getFeature", "One feature", ["collectionId", "featureId", "f", "crs"], _GEOJSON
        ),
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Musubi OGC API – Features",
            "version": "1.0.0",
            "description": "Public map layers: " + ", ".join(layer.code for layer in layers),
            "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": PARAMETERS},
        "x-conformance": ogc.CONFORMANCE,
    }
