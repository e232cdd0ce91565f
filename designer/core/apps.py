from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "designer.core"
    label = "core"
