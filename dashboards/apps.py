from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(NavItem("Dashboard", "dashboard", order=0))
        register(
            NavItem(
                "Work",
                "work_inbox",
                order=1,
                kinds=frozenset({"site", "cro"}),
                badge="work_inbox_count",
            )
        )

        # The study page links to the study overview (core.panels slot "study").
        from core import panels
        from dashboards.overview_views import study_link

        panels.register(
            panels.Panel(
                name="Study overview",
                template="dashboards/_study_overview_link.html",
                build=study_link,
                kinds=frozenset({"cro", "sponsor"}),
                slot="study",
            )
        )
