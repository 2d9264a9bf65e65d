from django.urls import path

from medical import views

app_name = "medical"

urlpatterns = [
    path("", views.overview, name="overview"),
]
