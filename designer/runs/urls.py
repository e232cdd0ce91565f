from django.urls import path

from designer.runs import jobs_views, series_views, stream, views

urlpatterns = [
    path("jobs", jobs_views.JobKinds.as_view(), name="jobs"),
    path("runs", views.RunList.as_view(), name="runs"),
    path("runs/<int:pk>", views.RunDetail.as_view(), name="run"),
    path("runs/<int:pk>/cancel", views.RunCancel.as_view(), name="run-cancel"),
    path("runs/<int:pk>/clone", views.RunClone.as_view(), name="run-clone"),
    path("runs/<int:pk>/resume", views.RunResume.as_view(), name="run-resume"),
    path("runs/<int:pk>/events", stream.run_events, name="run-events"),
    path("runs/<int:pk>/metrics", views.RunMetrics.as_view(), name="run-metrics"),
    path("runs/<int:pk>/checkpoints", views.RunCheckpoints.as_view(), name="run-checkpoints"),
    path("runs/<int:pk>/checkpoints/<str:name>", views.CheckpointDownload.as_view(), name="run-checkpoint"),
    path("series", series_views.Series.as_view(), name="series"),
]
