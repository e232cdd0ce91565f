from django.apps import AppConfig


class GraphsConfig(AppConfig):
    name = "designer.graphs"
    label = "graphs"
