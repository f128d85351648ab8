from django.urls import URLPattern

app_name = "award"

urlpatterns: list[URLPattern] = []
