from django.urls import path

from yingshang.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.ledger_home, name="home"),
    path("checkpoints/stream", views.checkpoint_stream, name="checkpoint_stream"),
    path("evidence/", views.evidence, name="evidence"),
    path("evidence/bundle/", views.evidence_bundle, name="evidence_bundle"),
]
