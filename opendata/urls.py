"""Machine-readable files, outside the language prefixes: one address per file."""

from django.urls import path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("iati/activities.xml", views.iati_activities, name="iati_activities"),
    path("iati/organisation.xml", views.iati_organisation, name="iati_organisation"),
    path("projects/<str:code>/iati.xml", views.iati_project, name="iati_project"),
]
