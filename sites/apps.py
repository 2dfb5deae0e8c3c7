from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "sites"
    # "sites" is django.contrib.sites' label; ours must not clash with it.
    label = "research_sites"
    verbose_name = "Research sites"

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(NavItem("Site profile", "site_profile", order=70, kinds=frozenset({"site"})))
