"""The demo catalogue: every department an organisation, generated datasets that validate."""

import datetime as dt

from musubi.data.maps import demo as maps_demo
from musubi.data.opendata import demo, services, tables
from musubi.data.opendata.models import Dataset, Organization
from musubi.platform.accounts import services as accounts


def test_the_demo_catalogue_is_seeded_once_and_valid(db, populate):
    accounts.sync_reference_data()
    populate("中沢", 3, dt.date(1980, 1, 1))
    maps_demo.seed()
    counts = demo.seed()
    assert Organization.objects.count() == 16
    assert counts == {"open datasets": 10}
    assert demo.seed() == {}
    for dataset in Dataset.objects.exclude(standard_number=""):
        resource = dataset.resources.get()
        schema = tables.schema(resource.generator)
        assert schema["number"] == dataset.standard_number
        assert tables.validate(resource.generator, services.content(resource)) == []
    listing = Dataset.objects.get(standard_number="06").resources.get()
    assert services.content(listing).decode("utf-8-sig").count("\r\n") == 1 + 10
