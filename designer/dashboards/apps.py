from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "designer.dashboards"
    label = "dashboards"
