from django.urls import path

from designer.datasets import views

urlpatterns = [
    path("datasets", views.DatasetList.as_view(), name="datasets"),
    path("datasets/<int:pk>", views.DatasetDetail.as_view(), name="dataset"),
    path("projects/<int:pk>/datasets", views.ProjectDatasets.as_view(), name="project-datasets"),
]
