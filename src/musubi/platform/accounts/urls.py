from django.urls import path

from musubi.platform.accounts import oidc_views, passkey_views, staff_views, views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("verify/resend/", views.resend, name="resend"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/reset/", views.ResetRequestView.as_view(), name="reset"),
    path("password/reset/sent/", views.ResetSentView.as_view(), name="reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.ResetConfirmView.as_view(),
        name="reset_confirm",
    ),
    path("password/reset/done/", views.ResetCompleteView.as_view(), name="reset_complete"),
    path("staff/login/", staff_views.staff_login, name="staff_login"),
    path("staff/verify/", staff_views.staff_mfa, name="staff_mfa"),
    path(
        "staff/verify/passkey/options/",
        staff_views.staff_passkey_options,
        name="staff_passkey_options",
    ),
    path("staff/verify/passkey/", staff_views.staff_passkey, name="staff_passkey"),
    path("staff/enrol/", staff_views.staff_enrol, name="staff_enrol"),
    path("staff/passkeys/", passkey_views.passkey_list, name="staff_passkeys"),
    path(
        "staff/passkeys/options/",
        passkey_views.passkey_options,
        name="staff_passkey_register_options",
    ),
    path(
        "staff/passkeys/<int:pk>/remove/",
        passkey_views.passkey_remove,
        name="staff_passkey_remove",
    ),
    path("oidc/login/", oidc_views.oidc_login, name="oidc_login"),
    path("oidc/callback/", oidc_views.oidc_callback, name="oidc_callback"),
]
