from django.urls import path

from designer.tuning import views

urlpatterns = [
    path("sweeps/<int:pk>/trials", views.SweepTrials.as_view(), name="sweep-trials"),
    path("sweeps/<int:pk>/analysis", views.SweepAnalysis.as_view(), name="sweep-analysis"),
    path("sweeps/<int:pk>/extend", views.SweepExtend.as_view(), name="sweep-extend"),
    path("sweeps/<int:pk>/trials/<int:number>/promote", views.TrialPromote.as_view(), name="trial-promote"),
]
