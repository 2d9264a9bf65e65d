from django.urls import path

from funding import views

app_name = "funding"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("years.csv", views.years_csv, name="years_csv"),
    path("projects.csv", views.projects_csv, name="projects_csv"),
]
