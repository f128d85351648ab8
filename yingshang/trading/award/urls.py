from django.urls import path

from yingshang.trading.award import views

app_name = "award"

urlpatterns = [
    path("", views.award_list, name="list"),
    path("<int:tender_id>/<int:lot_id>/", views.detail, name="detail"),
    path("<int:tender_id>/<int:lot_id>/publicity/", views.start_publicity, name="start_publicity"),
    path("<int:tender_id>/<int:lot_id>/receive/", views.receive, name="receive"),
    path("awards/<int:award_id>/objections/", views.raise_objection, name="raise_objection"),
    path("awards/<int:award_id>/objections/<int:objection_id>/answer/", views.answer, name="answer"),
    path("awards/<int:award_id>/passed-over/", views.pass_over, name="pass_over"),
    path("awards/<int:award_id>/decision/", views.decide, name="decide"),
    path("awards/<int:award_id>/retender/", views.retender, name="retender"),
    path("awards/<int:award_id>/contract/", views.contract, name="contract"),
    path("awards/<int:award_id>/report/", views.report, name="report"),
]
