from django.urls import path

from yingshang.identity import certificate_views, views

app_name = "identity"

urlpatterns = [
    path("", views.account, name="account"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("profile/", views.profile, name="profile"),
    path("organisation/", views.switch_organisation, name="switch_organisation"),
    path("tokens/", views.create_token, name="create_token"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("certificate/qr/", certificate_views.certificate_qr, name="certificate_qr"),
    path(
        "certificate/qr/<str:challenge_id>/status/",
        certificate_views.certificate_qr_status,
        name="certificate_qr_status",
    ),
]
