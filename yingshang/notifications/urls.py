from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "notifications"


def inbox(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


urlpatterns = [path("", inbox, name="inbox")]
