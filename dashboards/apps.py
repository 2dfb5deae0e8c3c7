from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(NavItem("Dashboard", "dashboard", order=0))
        register(NavItem("Work", "work_inbox", order=1, kinds=frozenset({"site", "cro"})))
