from django.urls import path

from yingshang.files import views

app_name = "files"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:document_id>/download/", views.download, name="download"),
]
