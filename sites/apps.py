from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    # "sites" is django.contrib.sites' label; ours must not clash with it.
    label = "research_sites"
    verbose_name = "Research sites"
