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

        from accounts.models import Role
        from core import inbox
        from feasibility import inbox as feasibility_inbox

        inbox.register(
            "feasibility.site",
            feasibility_inbox.site_items,
            kinds=feasibility_inbox.KINDS_SITE,
            org_kinds=frozenset({"site"}),
            roles=frozenset(access.SITE_ANSWER_ROLES),
        )
        inbox.register(
            "feasibility.cro",
            feasibility_inbox.cro_items,
            kinds=feasibility_inbox.KINDS_CRO,
            org_kinds=frozenset({"cro"}),
            # Who decides: administrators, project managers and the study's lead (a CRA who
            # leads it; feasibility.access narrows a CRA's rows to the studies they lead).
            roles=frozenset({Role.ADMIN, Role.PROJECT_MANAGER, Role.CRA}),
        )
