from django.urls import path

from designer.dashboards import views

urlpatterns = [
    path("projects/<int:pk>/runs-table", views.RunsTable.as_view(), name="runs-table"),
    path("projects/<int:pk>/runs.csv", views.RunsTableCsv.as_view(), name="runs-table-csv"),
    path("compare", views.Compare.as_view(), name="compare"),
    path("runs/<int:pk>/insights", views.RunInsights.as_view(), name="run-insights"),
]
