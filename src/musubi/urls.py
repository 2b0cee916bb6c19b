from django.conf.urls.i18n import i18n_patterns  # noqa: F401
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from musubi.data.maps import ogc_views
from musubi.platform.api import views as api_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("musubi.platform.api.urls")),
    path("accounts/", include("musubi.platform.accounts.urls")),
    path("staff/audit/", include("musubi.platform.audit.urls")),
    path("staff/api-tokens/", include("musubi.platform.api.staff_urls")),
    path("healthz", api_views.healthz, name="healthz"),
    path("staff/registry/", include("musubi.platform.residents.urls")),
    path("forms/", include("musubi.platform.forms.urls")),
    path("files/", include("musubi.platform.files.urls")),
    path("procedures/", include("musubi.citizen.procedures.urls")),
    path("notices/", include("musubi.platform.notify.urls")),
    path("bookings/", include("musubi.citizen.bookings.urls")),
    path("maps/", include("musubi.data.maps.urls")),
    path("ogc", ogc_views.landing),  # clients append to the bare address; no redirect
    path("ogc/", include("musubi.data.maps.ogc_urls")),
    path("opendata/", include("musubi.data.opendata.urls")),
    path("", include("musubi.data.opendata.ckan_urls")),
    path("payments/", include("musubi.platform.payments.urls")),
    path("circulars/", include("musubi.community.circulars.urls")),
    path("", include("musubi.platform.ui.urls")),
]
