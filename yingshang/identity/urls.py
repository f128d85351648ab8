from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "identity"

urlpatterns = [
    path("sign-in/", auth_views.LoginView.as_view(template_name="identity/sign_in.html"), name="sign_in"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign_out"),
    path("", auth_views.PasswordChangeView.as_view(), name="account"),
]
