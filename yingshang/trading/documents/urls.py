from django.urls import path

from yingshang.trading.documents import views

app_name = "tenderdocs"

urlpatterns = [
    path("", views.catalogue_page, name="catalogue"),
    path("templates/<slug:code>/v<int:version>/", views.template_page, name="template"),
    path("tenders/<int:tender_id>/", views.tender_page, name="tender"),
    path("tenders/<int:tender_id>/edit/", views.editor_page, name="editor"),
    path("tenders/<int:tender_id>/revise/", views.revise_page, name="revise"),
    path("tenders/<int:tender_id>/questions/", views.questions_page, name="questions"),
    path("tenders/<int:tender_id>/versions/<int:number>/download/", views.download_page, name="download"),
    path("tenders/<int:tender_id>/versions/<int:number>/pdf/", views.version_pdf_page, name="version_pdf"),
    path("receipts/check/", views.check_receipt_page, name="check_receipt"),
    path("receipts/<slug:number>/", views.receipt_page, name="receipt"),
    path("receipts/<slug:number>/pdf/", views.receipt_pdf_page, name="receipt_pdf"),
    path("receipts/<slug:number>/json/", views.receipt_json_page, name="receipt_json"),
]
