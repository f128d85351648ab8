from django.urls import path

from yingshang.trading.experts import views

app_name = "experts"

urlpatterns = [
    path("", views.pool, name="pool"),
    path("import/", views.import_pool, name="import"),
    path("<str:code>/review/", views.review, name="review"),
    path("<str:code>/suspension/", views.suspend, name="suspend"),
    path("apply/", views.apply, name="apply"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:seat_id>/answer/", views.answer, name="answer"),
    path("tenders/<int:tender_id>/lots/<int:lot_id>/", views.need, name="need"),
    path("tenders/<int:tender_id>/lots/<int:lot_id>/draw/", views.draw, name="draw"),
    path("tenders/<int:tender_id>/lots/<int:lot_id>/contribution/", views.contribution, name="contribution"),
]
