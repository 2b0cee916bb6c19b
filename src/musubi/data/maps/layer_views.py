"""Staff pages managing layers themselves: list, create, edit and delete (with confirmation).

Only a department granted ``maps.manage_layers`` manages its own layers. A layer's code is fixed
once created (open data generators, feeds and links refer to it), and its geometry type too
while it holds features. Deleting a layer with features needs an explicit confirmation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy

from musubi.data.maps import permissions, services
from musubi.data.maps.models import LAYER_FIELDS, Layer
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record, subject_of

PURPOSE = "maps layer management"
MARKERS = [
    ("circle", gettext_lazy("丸")),
    ("square", gettext_lazy("四角")),
    ("triangle", gettext_lazy("三角")),
    ("star", gettext_lazy("星")),
    ("heart", gettext_lazy("ハート")),
    ("area", gettext_lazy("面")),
]


class LayerForm(forms.ModelForm):
    colour = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        label=gettext_lazy("色"),
        help_text=gettext_lazy("#0031d8 のような16進数の色"),
        error_messages={
            "invalid": gettext_lazy("#0031d8 のように # と6桁の16進数で入力してください。")
        },
    )
    marker = forms.ChoiceField(choices=MARKERS, label=gettext_lazy("記号"))

    class Meta:
        model = Layer
        fields = LAYER_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "code": gettext_lazy("半角英小文字・数字・ハイフン。作成後は変えられません。"),
            "synthetic": gettext_lazy(
                "架空のデモデータなら印を付けます。地図に【架空データ】と表示します。"
            ),
        }

    def __init__(self, *args: Any, departments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = self.fields["department"].queryset.filter(
            pk__in=[d.pk for d in departments]
        )
        if self.instance.pk:
            self.fields["code"].disabled = True
            if self.instance.features.exists():
                self.fields["geometry_type"].disabled = True
                self.fields["geometry_type"].help_text = gettext_lazy(
                    "地物があるあいだは変えられません。"
                )


def _managed(request: HttpRequest, code: str) -> Layer:
    layer = get_object_or_404(Layer.objects.select_related("department"), code=code)
    if not services.can_manage(request.user, layer):
        raise PermissionDenied(permissions.MANAGE_LAYERS)
    return layer


@staff_required(permissions.MANAGE_LAYERS)
def layer_list(request: HttpRequest) -> HttpResponse:
    departments = services.managed_departments(request.user)
    layers = services.with_feature_counts(Layer.objects.filter(department__in=departments))
    return render(request, "maps/layer_list.html", {"layers": layers})


def _edit(request: HttpRequest, layer: Layer | None) -> HttpResponse:
    departments = services.managed_departments(request.user)
    form = LayerForm(request.POST or None, instance=layer, departments=departments)
    if request.method == "POST" and form.is_valid():
        saved = services.save_layer(form.save(commit=False))
        action = Action.UPDATE if layer else Action.CREATE
        changed = ", ".join(form.changed_data)
        record(request, action=action, subject=saved, what=changed, purpose=PURPOSE)
        return redirect("maps:layers")
    return render(request, "maps/layer_form.html", {"form": form, "layer": layer})


@staff_required(permissions.MANAGE_LAYERS)
def layer_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@staff_required(permissions.MANAGE_LAYERS)
def layer_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _edit(request, _managed(request, code))


@staff_required(permissions.MANAGE_LAYERS)
def layer_delete(request: HttpRequest, code: str) -> HttpResponse:
    layer = _managed(request, code)
    count = layer.features.count()
    error = ""
    if request.method == "POST":
        subject = subject_of(layer)
        try:
            services.delete_layer(layer, with_features=request.POST.get("with_features") == "1")
        except services.LayerInUse as refused:
            error = str(refused)
        else:
            what = f"layer {subject.id} ({layer.code}) with {count} features"
            record(request, action=Action.DELETE, subject=subject, what=what, purpose=PURPOSE)
            return redirect("maps:layers")
    context = {"layer": layer, "count": count, "error": error}
    return render(request, "maps/layer_delete.html", context, status=409 if error else 200)
