from django.urls import path

from yingshang.kernel import views

app_name = "keys"

urlpatterns = [
    path("document-signing-ca.pem", views.document_signing_ca, name="document_signing_ca"),
    path("document-signing.pem", views.document_signing_certificate, name="document_signing_certificate"),
]
