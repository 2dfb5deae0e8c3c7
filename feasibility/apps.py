from django.apps import AppConfig


class FeasibilityConfig(AppConfig):
    name = "feasibility"
    verbose_name = "Feasibility"

    def ready(self) -> None:
        from core import panels, schedules
        from core.navigation import NavItem, register
        from feasibility import access
        from feasibility.panels import build_cro_review, build_site_due

        register(
            NavItem(
                "Feasibility",
                "questionnaire_list",
                order=20,
                kinds=frozenset({"cro"}),
                roles=frozenset(access.CRO_VIEW_ROLES | {"cra"}),
                active_for=frozenset(
                    {
                        "questionnaire_detail",
                        "questionnaire_create",
                        "questionnaire_send",
                        "questionnaire_responses",
                        "question_list",
                        "feasibility_request_detail",
                    }
                ),
                group="Start-up",
            )
        )
        register(
            NavItem(
                "Feasibility requests",
                "feasibility_request_list",
                order=20,
                kinds=frozenset({"site"}),
                active_for=frozenset({"feasibility_request_detail"}),
                group="Start-up",
            )
        )
        panels.register(
            panels.Panel(
                name="Questionnaires due",
                template="feasibility/panels/site_due.html",
                build=build_site_due,
                order=20,
                kinds=frozenset({"site"}),
                column="main",
            )
        )
        panels.register(
            panels.Panel(
                name="Feasibility responses to review",
                template="feasibility/panels/cro_review.html",
                build=build_cro_review,
                order=20,
                kinds=frozenset({"cro"}),
                roles=frozenset({"admin", "project_manager"}),
                column="side",
            )
        )
        schedules.register(
            "feasibility-due-reminders",
            "feasibility.tasks.feasibility_due_reminders",
            schedules.crontab(hour=7, minute=15),
        )
