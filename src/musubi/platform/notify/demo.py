"""Demo data: two templates and one notice already sent to 中沢, with its reach to look at.

Runs last in the seed, under the seed's silent mail backend: it also drains the outbox, so the
status messages other apps' demo data queued go nowhere instead of to the console later.
"""

from __future__ import annotations

from musubi.platform.accounts.models import Department
from musubi.platform.notify import services
from musubi.platform.notify.models import Message, Template
from musubi.platform.notify.outbox import Worker

TEMPLATES = [
    {
        "code": "water-outage",
        "name": "断水のお知らせ",
        "subjects": {"ja": "断水のお知らせ（{date}）", "en": "Water outage ({date})"},
        "bodies": {
            "ja": "{date}、{area}で水道管の工事のため断水します。ご協力をお願いします。",
            "en": "On {date}, water will be off in {area} for pipe works. Thank you.",
        },
        "placeholders": ["date", "area"],
    },
    {
        "code": "evacuation-order",
        "name": "避難指示",
        "subjects": {
            "ja": "【緊急】避難指示（{area}）",
            "en": "[Emergency] Evacuation order ({area})",
        },
        "bodies": {
            "ja": "{area}に避難指示を発令しました。直ちに{shelter}へ避難してください。",
            "en": "An evacuation order was issued for {area}. Go to {shelter} now.",
        },
        "placeholders": ["area", "shelter"],
        "emergency_approved": True,
    },
]


def seed() -> dict[str, int]:
    for data in TEMPLATES:
        if not Template.objects.filter(code=data["code"]).exists():
            services.save_template(Template(**data))
    if not Message.objects.filter(source="demo").exists():
        message = services.compose(
            template=Template.objects.get(code="water-outage"),
            values={"date": "6月1日", "area": "中沢"},
            audience={"kind": "district", "district": "nakazawa", "district_name": "中沢"},
            created_by=None,
            department=Department.objects.filter(code="jogesuido").first(),
            source="demo",
        )
        services.fan_out(message)
    sent = sum(Worker(emergency=lane).drain() for lane in (True, False))
    services.finish_sent()
    return {"notice templates": Template.objects.count(), "deliveries sent": sent}


def clear() -> None:
    Message.objects.all().delete()
    Template.objects.all().delete()
