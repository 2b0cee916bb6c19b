"""Staff layer management: create, edit and delete layers of one's own department, audited;
a layer with features is deleted only when that is confirmed."""

import re

import pytest

from musubi.data.maps.models import Feature, Layer
from musubi.platform.accounts.models import Department
from musubi.platform.audit.models import AuditRecord

pytestmark = pytest.mark.django_db
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


@pytest.fixture
def kikikanri(make_staff, signed_in, demo_layers):
    return signed_in(make_staff("kikikanri", "maps.manage_layers"))


def _fields(**changes):
    department = Department.objects.get(code="kikikanri")
    values = {
        "code": "sandbags", "name": "土のう置場", "name_en": "Sandbag stations",
        "department": department.pk, "visibility": "public", "geometry_type": "Point",
        "colour": "#336699", "marker": "square", "legend": "土のうを配る場所",
        "legend_en": "Where sandbags are handed out", "synthetic": "on",
        "source_note": "架空のデモデータです。", "source_note_en": "Synthetic demo data.",
    }  # fmt: skip
    values.update(changes)
    return values


def test_the_list_shows_only_the_departments_layers(kikikanri):
    html = kikikanri.get("/maps/staff/layers/").content.decode()
    assert "shelters" in html and "hazard-zones" in html and "fire-hydrants" in html
    assert "tourist-spots" not in html and "districts" not in html
    assert '<th scope="col">' in html


def test_create_a_layer_audited(kikikanri):
    response = kikikanri.post("/maps/staff/layers/new/", _fields())
    assert response.status_code == 302
    layer = Layer.objects.get(code="sandbags")
    assert layer.synthetic and layer.colour == "#336699" and layer.department.code == "kikikanri"
    assert AuditRecord.objects.filter(
        action="create", subject_type="layer", subject_id=str(layer.pk)
    ).exists()
    assert "sandbags" in kikikanri.get("/maps/").content.decode()


def test_bad_input_is_named_and_nothing_is_created(kikikanri):
    html = kikikanri.post(
        "/maps/staff/layers/new/", _fields(code="shelters", colour="red", name="")
    ).content.decode()
    assert "#0031d8 のように # と6桁の16進数で入力してください。" in html
    assert "コード" in html and html.count("field__error") >= 3
    other = Department.objects.get_or_create(code="kodomo", defaults={"name": "子ども課"})[0]
    foreign = kikikanri.post("/maps/staff/layers/new/", _fields(department=other.pk))
    assert "field__error" in foreign.content.decode()  # not the member's department
    assert not Layer.objects.filter(code="sandbags").exists()


def test_edit_keeps_the_code_and_the_geometry_type_while_features_exist(kikikanri):
    shelters = Layer.objects.get(code="shelters")
    response = kikikanri.post(
        "/maps/staff/layers/shelters/edit/",
        _fields(code="renamed", geometry_type="Polygon", name="避難場所（改）", synthetic=""),
    )
    assert response.status_code == 302
    shelters.refresh_from_db()
    assert (shelters.code, shelters.geometry_type) == ("shelters", "Point")
    assert shelters.name == "避難場所（改）" and not shelters.synthetic
    assert AuditRecord.objects.filter(action="update", subject_type="layer").exists()


def test_a_layer_with_features_is_deleted_only_when_confirmed(kikikanri):
    shelters = Layer.objects.get(code="shelters")
    count = shelters.features.count()
    page = kikikanri.get("/maps/staff/layers/shelters/delete/").content.decode()
    assert f"地物{count}件もあわせて削除する" in page
    refused = kikikanri.post("/maps/staff/layers/shelters/delete/")
    assert refused.status_code == 409
    assert f"地物が{count}件あります" in refused.content.decode()
    assert Layer.objects.filter(code="shelters").exists()
    assert not AuditRecord.objects.filter(action="delete", subject_type="layer").exists()
    done = kikikanri.post("/maps/staff/layers/shelters/delete/", {"with_features": "1"})
    assert done.status_code == 302
    assert not Layer.objects.filter(code="shelters").exists()
    assert not Feature.objects.filter(layer_id=shelters.pk).exists()
    audit = AuditRecord.objects.get(action="delete", subject_type="layer")
    assert audit.subject_id == str(shelters.pk) and f"{count} features" in audit.what


def test_an_empty_layer_is_deleted_at_once(kikikanri):
    kikikanri.post("/maps/staff/layers/new/", _fields())
    assert kikikanri.post("/maps/staff/layers/sandbags/delete/").status_code == 302
    assert not Layer.objects.filter(code="sandbags").exists()


def test_other_departments_and_missing_grants_are_refused(make_staff, signed_in, demo_layers):
    outsider = signed_in(make_staff("shokokanko", "maps.manage_layers"))
    assert outsider.get("/maps/staff/layers/shelters/edit/").status_code == 403
    confirmed = {"with_features": "1"}
    assert outsider.post("/maps/staff/layers/shelters/delete/", confirmed).status_code == 403
    assert Layer.objects.filter(code="shelters").exists()
    clerk = signed_in(make_staff("kikikanri", "maps.edit"))
    assert clerk.get("/maps/staff/layers/").status_code == 403


def test_layer_pages_in_english_have_no_japanese_ui_text(kikikanri):
    kikikanri.cookies["django_language"] = "en"
    data = sorted(  # layer data entered in Japanese is not UI text; longest first
        {v for layer in Layer.objects.all() for v in (layer.name, layer.legend, layer.source_note)},
        key=len,
        reverse=True,
    )
    pages = ("", "new/", "hazard-zones/edit/", "hazard-zones/delete/")
    for url in (f"/maps/staff/layers/{page}" for page in pages):
        html = kikikanri.get(url).content.decode()
        for value in data:
            html = html.replace(value, "")
        leftover = JAPANESE.findall(html.replace("日本語", ""))
        assert leftover == [], (url, leftover)
