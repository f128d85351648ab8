from django.urls import path

from yingshang.trading.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.evaluation_list, name="list"),
    path("<int:evaluation_id>/", views.room, name="room"),
    path("<int:evaluation_id>/declaration/", views.declare, name="declare"),
    path("<int:evaluation_id>/scores/", views.save_scores, name="scores"),
    path("<int:evaluation_id>/submit/", views.submit, name="submit"),
    path("<int:evaluation_id>/explanations/", views.explain, name="explain"),
    path("<int:evaluation_id>/clarifications/", views.ask, name="ask"),
    path("<int:evaluation_id>/report/", views.finish_report, name="finish_report"),
    path("<int:evaluation_id>/signatures/", views.sign, name="sign"),
    path("<int:evaluation_id>/bids/<int:bid_id>/package", views.package, name="package"),
]
