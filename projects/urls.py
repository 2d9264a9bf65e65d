from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<slug:programme_code>/", views.home, name="programme"),
    path("projects/", views.project_list, name="list"),
    path("projects/<str:code>/", views.project_detail, name="detail"),
    path("timeline/", views.timeline, name="timeline"),
]
