"""The HTTP side of the CKAN Action API: parameters in, ``{help, success, result}`` out.

GET takes the query string; POST a JSON object or a form. No redirects (the URLs have no
trailing slash to add) and no CSRF token, because CKAN clients post from scripts; every
action only reads, so a forged cross-site POST can do nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from musubi.data.opendata.ckan import ACTIONS, ActionError, invalid


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.method == "GET":
        return {k: v[-1] if len(v) == 1 else v for k, v in request.GET.lists()}
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise invalid("body", "JSON Error: invalid request body") from None
        if not isinstance(body, dict):
            raise invalid("body", "JSON Error: request body must be a JSON object")
        return body
    return {k: v[-1] if len(v) == 1 else v for k, v in request.POST.lists()}


def _answer(request: HttpRequest, name: str, body: dict[str, Any], status: int) -> JsonResponse:
    help_url = request.build_absolute_uri(reverse("ckan-action", args=["help_show"]))
    envelope = {"help": f"{help_url}?name={name}", **body}
    return JsonResponse(envelope, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, name: str) -> JsonResponse:
    function = ACTIONS.get(name)
    if function is None:
        error = {"__type": "Not Found Error", "message": f"Action name not known: {name}"}
        return _answer(request, name, {"success": False, "error": error}, 400)
    try:
        result = function(request, _params(request))
    except ActionError as error:
        return _answer(request, name, {"success": False, "error": error.body()}, error.status)
    return _answer(request, name, {"success": True, "result": result}, 200)
