from django.urls import path

from yingshang.trading.bids import views

app_name = "bids"

urlpatterns = [
    path("", views.my_bids_page, name="mine"),
    path("<int:bid_id>/receipt.json", views.receipt_json_page, name="receipt_json"),
    path("<int:bid_id>/withdraw/", views.withdraw_page, name="withdraw"),
]
