"""Run in a subprocess by the crash tests: ``prepare N [emergency]`` a database with N email
recipients and one notice fanned out, or ``work [emergency]`` its lane until nothing is left."""

import datetime as dt
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musubi.settings")
import django

django.setup()

from django.core.management import call_command  # noqa: E402

from musubi.platform.notify import services  # noqa: E402
from musubi.platform.notify.models import Delivery, DeliveryState, Template  # noqa: E402
from musubi.platform.notify.outbox import Worker  # noqa: E402
from musubi.platform.residents import services as residents  # noqa: E402
from musubi.platform.residents.models import ContactPoint, District, Relationship  # noqa: E402


def prepare(count: int, emergency: bool) -> None:
    call_command("migrate", "--no-input", "-v", "0")
    residents.ensure_districts()
    district = District.objects.get(name="中沢")
    for n in range(count):
        address = residents.create_address(district=district, postal_code="399-4231",
                                           town="中沢", banchi=f"{n}-1")  # fmt: skip
        person = residents.move_in(
            residents.PersonDetails(family_name="駒ヶ根", given_name="太郎",
                                    family_name_kana="コマガネ", given_name_kana="タロウ",
                                    birthdate=dt.date(1980, 1, 1), sex="1"),
            household=residents.new_household(address), relationship=Relationship.HEAD,
            on=dt.date(2020, 4, 1),
        )  # fmt: skip
        ContactPoint.objects.create(resident=person, kind="email", value=f"r{n}@example.jp",
                                    verified=True)  # fmt: skip
    template = services.save_template(
        Template(code="drill", name="訓練", subjects={"ja": "防災訓練"}, bodies={"ja": "訓練です"})
    )
    message = services.compose(template=template, values={}, audience={"kind": "all"},
                               created_by=None, publish_onsite=False,
                               emergency=emergency)  # fmt: skip
    services.fan_out(message)


def work(emergency: bool) -> None:
    """Drain until every delivery is settled, waiting out the leases a killed worker left."""
    worker = Worker(emergency=emergency, name=f"crash-test-{os.getpid()}")
    open_states = [DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.FAILED_TEMPORARY]
    while Delivery.objects.filter(state__in=open_states).exists():
        if not worker.drain():
            time.sleep(0.2)
    worker.close()


if __name__ == "__main__":
    urgent = sys.argv[-1] == "emergency"
    prepare(int(sys.argv[2]), urgent) if sys.argv[1] == "prepare" else work(urgent)
