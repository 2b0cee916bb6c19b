"""Map layers and their features, stored without a spatial database.

Geometry is kept as GeoJSON (WGS84, lon/lat) with an indexed bounding box, so the embedded SQLite
default can filter by area; exact geometry maths happens in Python with shapely.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from musubi.platform.accounts.models import Department


class Visibility(models.TextChoices):
    PUBLIC = "public", _("公開")
    INTERNAL = "internal", _("庁内限定")


class GeometryType(models.TextChoices):
    POINT = "Point", _("点")
    LINE = "LineString", _("線")
    POLYGON = "Polygon", _("面")


class Layer(models.Model):
    """A themed set of features (shelters, AEDs, 区 boundaries…) owned by one department."""

    code = models.SlugField(_("コード"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英語名称"), max_length=120)
    description = models.TextField(_("説明"), blank=True)
    description_en = models.TextField(_("英語の説明"), blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="map_layers", verbose_name=_("所管課")
    )
    visibility = models.CharField(
        _("公開範囲"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    geometry_type = models.CharField(_("図形の種類"), max_length=12, choices=GeometryType.choices)
    colour = models.CharField(_("色"), max_length=7, default="#0031d8")
    marker = models.CharField(_("記号"), max_length=20, default="circle")
    legend = models.CharField(_("凡例"), max_length=200, blank=True)
    legend_en = models.CharField(_("英語の凡例"), max_length=200, blank=True)
    synthetic = models.BooleanField(_("架空データ"), default=False)
    source_note = models.CharField(_("出典・注記"), max_length=300, blank=True)
    source_note_en = models.CharField(_("英語の出典・注記"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


# what the department managing a layer describes (its form and the API show the same fields)
LAYER_FIELDS = [
    "code",
    "name",
    "name_en",
    "description",
    "description_en",
    "department",
    "visibility",
    "geometry_type",
    "colour",
    "marker",
    "legend",
    "legend_en",
    "synthetic",
    "source_note",
    "source_note_en",
]


class Feature(models.Model):
    """One thing on the map: a GeoJSON geometry in WGS84 with its attributes."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="features")
    name = models.CharField(_("名称"), max_length=200, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    geometry = models.JSONField(_("図形"))
    properties = models.JSONField(_("属性"), default=dict, blank=True)
    min_lon = models.FloatField(db_index=True)
    min_lat = models.FloatField(db_index=True)
    max_lon = models.FloatField(db_index=True)
    max_lat = models.FloatField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["layer", "id"]
        indexes = [models.Index(fields=["layer", "min_lon", "min_lat"])]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"
