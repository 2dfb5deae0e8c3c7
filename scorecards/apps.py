from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Site scorecards"

    def ready(self) -> None:
        from accounts.models import OrganizationKind
        from core import panels, schedules
        from core.navigation import NavItem, register
        from scorecards.panels import scorecards_panel, study_ranking_link

        register(
            NavItem(
                "Scorecards",
                "scorecards",
                order=60,
                kinds=frozenset(
                    {OrganizationKind.CRO, OrganizationKind.SITE, OrganizationKind.SPONSOR}
                ),
                active_for=frozenset(
                    {"scorecard_study_site", "scorecard_site", "scorecard_study_ranking"}
                ),
            )
        )
        panels.register(
            panels.Panel(
                "Scorecards",
                "scorecards/panels/scorecards.html",
                scorecards_panel,
                order=90,
                kinds=frozenset(
                    {OrganizationKind.CRO, OrganizationKind.SITE, OrganizationKind.SPONSOR}
                ),
                column="side",
            )
        )
        panels.register(
            panels.Panel(
                "Site ranking",
                "scorecards/panels/study_ranking_link.html",
                study_ranking_link,
                order=60,
                kinds=frozenset({OrganizationKind.CRO, OrganizationKind.SPONSOR}),
                slot="study",
            )
        )
        schedules.register(
            "scorecards: monthly snapshots",
            "scorecards.tasks.scorecard_snapshots_write",
            schedules.crontab(minute=15, hour=3),
        )
