"""Staff pages that change layers: importing a file, and adding, editing or deleting a feature.

Only the owning department changes a layer: the code (``maps.edit`` / ``maps.import``) must be
granted to the member's role in the department that owns the layer. Every change is audited.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musubi.data.maps import importers, permissions, services
from musubi.data.maps.geometry import GeometryError
from musubi.data.maps.models import Feature, GeometryType, Layer
from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record

MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(forms.Form):
    layer = forms.ModelChoiceField(Layer.objects.none(), label=gettext_lazy("取込先のレイヤ"))
    file = forms.FileField(
        label=gettext_lazy("ファイル"),
        help_text=gettext_lazy("GeoJSON、CSV（緯度・経度の列）、Shapefile（ZIP、.prj 付き）"),
    )
    replace = forms.BooleanField(required=False, label=gettext_lazy("今の地物をすべて置き換える"))
    dry_run = forms.BooleanField(
        required=False, label=gettext_lazy("確認のみ（取り込まない）"), initial=True
    )

    def __init__(self, *args: Any, layers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["layer"].queryset = layers

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("ファイルが大きすぎます（20 MB まで）。"))
        if importers.guess_format(upload.name) is None:
            raise forms.ValidationError(
                _("拡張子 .geojson/.json、.csv、.zip のファイルを選んでください。")
            )
        return upload


def _owned(user: Any, code: str) -> Any:
    return Layer.objects.filter(department__in=accounts.departments_granting(user, code))


@staff_required(permissions.IMPORT)
def import_layer(request: HttpRequest) -> HttpResponse:
    layers = _owned(request.user, permissions.IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None, layers=layers)
    report = None
    if request.method == "POST" and form.is_valid():
        layer, upload = form.cleaned_data["layer"], form.cleaned_data["file"]
        report = services.import_features(
            layer,
            upload.read(),
            importers.guess_format(upload.name),
            replace=form.cleaned_data["replace"],
            dry_run=form.cleaned_data["dry_run"],
        )
        if report.ok and not report.dry_run:
            record(
                request,
                action=Action.IMPORT,
                subject=layer,
                what=f"{report.count} features from {upload.name}",
                purpose="maps import",
            )
    return render(request, "maps/import.html", {"form": form, "report": report})


class FeatureForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=200)
    address = forms.CharField(label=gettext_lazy("住所"), max_length=300, required=False)
    latitude = forms.FloatField(label=gettext_lazy("緯度"), required=False)
    longitude = forms.FloatField(label=gettext_lazy("経度"), required=False)
    geometry = forms.CharField(
        label=gettext_lazy("図形（GeoJSON の geometry）"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    properties = forms.CharField(
        label=gettext_lazy("属性（JSON オブジェクト）"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
    )

    def __init__(self, *args: Any, layer: Layer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.layer = layer
        drop = (
            ("geometry",)
            if layer.geometry_type == GeometryType.POINT
            else ("latitude", "longitude")
        )
        for name in drop:
            del self.fields[name]

    def clean_properties(self) -> dict[str, Any]:
        raw = self.cleaned_data["properties"].strip() or "{}"
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("JSON として読めません（%(line)s行目）: %(error)s")
                % {"line": exc.lineno, "error": exc.msg}
            ) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("属性は JSON オブジェクト（{…}）にしてください。"))
        return value

    def clean_geometry(self) -> Any:
        try:
            return json.loads(self.cleaned_data["geometry"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("JSON として読めません（%(line)s行目）: %(error)s")
                % {"line": exc.lineno, "error": exc.msg}
            ) from exc

    def geojson(self) -> Any:
        if "geometry" in self.fields:
            return self.cleaned_data["geometry"]
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        if lat is None or lon is None:
            return None
        return {"type": "Point", "coordinates": [lon, lat]}


def _initial(feature: Feature | None) -> dict[str, Any]:
    if feature is None:
        return {}
    initial = {
        "name": feature.name,
        "address": feature.address,
        "properties": json.dumps(feature.properties, ensure_ascii=False, indent=2),
        "geometry": json.dumps(feature.geometry),
    }
    if feature.geometry.get("type") == "Point":
        initial["longitude"], initial["latitude"] = feature.geometry["coordinates"][:2]
    return initial


def _editable_layer(request: HttpRequest, code: str) -> Layer:
    layer = get_object_or_404(Layer, code=code)
    if not services.can_edit(request.user, layer):
        raise PermissionDenied(permissions.EDIT)
    return layer


def _save(request: HttpRequest, layer: Layer, feature: Feature | None) -> HttpResponse:
    form = FeatureForm(request.POST or None, initial=_initial(feature), layer=layer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_feature(
                layer,
                form.geojson(),
                data["properties"],
                name=data["name"],
                address=data["address"],
                feature=feature,
            )
        except GeometryError as exc:
            form.add_error(None, str(exc))
        else:
            action = Action.UPDATE if feature else Action.CREATE
            record(request, action=action, subject=saved, what=saved.name, purpose="maps edit")
            return redirect("maps:staff_feature", pk=saved.pk)
    context = {"form": form, "layer": layer, "feature": feature}
    return render(request, "maps/feature_form.html", context)


@staff_required(permissions.EDIT)
def add_feature(request: HttpRequest, code: str) -> HttpResponse:
    return _save(request, _editable_layer(request, code), None)


@staff_required(permissions.EDIT)
def edit_feature(request: HttpRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature, pk=pk)
    return _save(request, _editable_layer(request, feature.layer.code), feature)


@staff_required(permissions.EDIT)
def delete_feature(request: HttpRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature.objects.select_related("layer"), pk=pk)
    layer = _editable_layer(request, feature.layer.code)
    if request.method == "POST":
        record(
            request, action=Action.DELETE, subject=feature, what=feature.name, purpose="maps edit"
        )
        services.delete_feature(feature)
        return redirect(f"{reverse('maps:staff')}?layer={layer.code}")
    return render(request, "maps/feature_delete.html", {"feature": feature, "layer": layer})
