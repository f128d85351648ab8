from django.urls import path

from yingshang.trading.projects import views

app_name = "projects"

urlpatterns = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:tender_id>/", views.notice_detail, name="notice"),
    path("notices/<int:tender_id>/v<int:version>.pdf", views.notice_pdf, name="notice_pdf"),
    path("projects/", views.project_list, name="projects"),
    path("projects/new/", views.intake, name="intake"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/review/", views.review, name="review"),
    path("projects/<int:project_id>/tenders/", views.create_tender, name="create_tender"),
    path("tenders/<int:tender_id>/", views.tender_detail, name="tender"),
    path("tenders/<int:tender_id>/timeline/", views.save_timeline, name="timeline"),
    path("tenders/<int:tender_id>/timeline/check/", views.check_timeline, name="check_timeline"),
    path("tenders/<int:tender_id>/publish/", views.publish, name="publish"),
    path("tenders/<int:tender_id>/amend/", views.amend, name="amend"),
    path("tenders/<int:tender_id>/suspend/", views.suspend, name="suspend"),
    path("tenders/<int:tender_id>/resume/", views.resume, name="resume"),
    path("tenders/<int:tender_id>/cancel/", views.cancel, name="cancel"),
    path("tenders/<int:tender_id>/retender/", views.retender, name="retender"),
]
