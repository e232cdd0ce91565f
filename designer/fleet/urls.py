from django.urls import path

from designer.fleet import views

urlpatterns = [
    path("fleet", views.Fleet.as_view(), name="fleet"),
]
