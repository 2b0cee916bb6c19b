"""Public pages: the notices list (/notices/), one notice, the Atom feed, and the
"受け取りました" acknowledgement link. Only messages published on the onsite channel show.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from musubi.platform.notify import services
from musubi.platform.notify.models import Delivery, DeliveryState, Message

PAGE_SIZE = 20
FEED_SIZE = 50


def published() -> QuerySet[Message]:
    """Messages whose onsite delivery is done, newest first."""
    shown = Delivery.objects.filter(channel="onsite", state=DeliveryState.SENT)
    return Message.objects.filter(pk__in=shown.values("message_id")).order_by(
        "-fanned_out_at", "-id"
    )


def notices(request: HttpRequest) -> HttpResponse:
    page = Paginator(published(), PAGE_SIZE).get_page(request.GET.get("page"))
    language = get_language()
    items = [(m, m.text(language)) for m in page.object_list]
    return render(request, "notify/notices.html", {"page": page, "items": items})


def notice(request: HttpRequest, pk: int) -> HttpResponse:
    message = published().filter(pk=pk).first()
    if message is None:
        raise Http404(_("お知らせが見つかりません。"))
    return render(
        request, "notify/notice.html", {"message": message, "text": message.text(get_language())}
    )


def feed(request: HttpRequest) -> HttpResponse:
    """Atom 1.0 (RFC 4287) of the latest notices, in the request's language."""
    site = settings.SITE_URL.rstrip("/")
    language = get_language()
    atom = Atom1Feed(
        title=_("市からのお知らせ"),
        link=site + reverse("notify:notices"),
        description=_("市からのお知らせ"),
        feed_url=site + reverse("notify:feed"),
        language=language,
        feed_guid=site + reverse("notify:feed"),
    )
    for message in published()[:FEED_SIZE]:
        text = message.text(language)
        link = site + reverse("notify:notice", args=[message.pk])
        atom.add_item(
            title=text["subject"],
            link=link,
            description=text["body"],
            unique_id=link,
            pubdate=message.fanned_out_at or message.created_at,
            updateddate=message.fanned_out_at or message.created_at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    return response


@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST records the acknowledgement."""
    try:
        message, household_id = services.read_ack_token(token)
    except services.BadToken as exc:
        return render(request, "notify/ack.html", {"error": exc.messages[0]}, status=400)
    done = False
    if request.method == "POST":
        services.acknowledge(message, household_id)
        done = True
    context = {"message": message, "text": message.text(get_language()), "done": done}
    return render(request, "notify/ack.html", context)
