from django.apps import AppConfig


class JhopConfig(AppConfig):
    name = "jhop"
    verbose_name = "Site"
