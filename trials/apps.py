from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = "Trials"

    def ready(self) -> None:
        from core.navigation import NavItem, register

        register(
            NavItem(
                "Studies",
                "study_list",
                order=10,
                active_for=frozenset({"study_detail", "study_create"}),
                group="Studies",
            )
        )
        register(
            NavItem(
                "Study sites",
                "study_site_list",
                order=11,
                active_for=frozenset({"study_site_detail"}),
                group="Studies",
            )
        )
