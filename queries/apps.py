from django.apps import AppConfig


class QueriesConfig(AppConfig):
    name = "queries"
    verbose_name = "Data queries"

    def ready(self) -> None:
        from accounts.models import OrganizationKind, Role
        from core import checklists, panels, schedules
        from core.navigation import NavItem, register
        from core.notifications import register_kind
        from queries import checklists as query_checklists
        from queries import panels as query_panels

        register(
            NavItem(
                "Queries",
                "data_query_list",
                order=30,
                active_for=frozenset(
                    {"data_query_detail", "data_query_create", "data_query_import"}
                ),
                group="Data & safety",
            )
        )
        panels.register(
            panels.Panel(
                name="Queries to answer",
                template="queries/panels/to_answer.html",
                build=query_panels.to_answer,
                order=20,
                kinds=frozenset({OrganizationKind.SITE}),
                roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN}),
                column="main",
            )
        )
        panels.register(
            panels.Panel(
                name="Answered queries to review",
                template="queries/panels/to_review.html",
                build=query_panels.to_review,
                order=20,
                kinds=frozenset({OrganizationKind.CRO}),
                roles=frozenset({Role.CRA, Role.DATA_MANAGER, Role.PROJECT_MANAGER}),
                column="main",
            )
        )
        panels.register(
            panels.Panel(
                name="Data queries",
                template="queries/panels/subject_queries.html",
                build=query_panels.subject_queries,
                order=30,
                column="main",
                slot="subject",
            )
        )
        checklists.register(
            checklists.CLOSE_OUT, "queries.all_closed", query_checklists.close_out_items, order=20
        )
        register_kind("query.waiting_on_site", "Data queries waiting on your site (5+ days)")
        register_kind("query.overdue", "Data queries overdue at your site (10+ days)")
        register_kind("query.answer_to_review", "Answers to your data queries awaiting review")
        schedules.register(
            "queries-aging-reminders",
            "queries.tasks.data_query_aging_reminders",
            schedules.crontab(hour=7, minute=15),
        )

        from core import inbox
        from queries import inbox as query_inbox

        inbox.register(
            "queries.site",
            query_inbox.site_items,
            kinds=query_inbox.KINDS_SITE,
            org_kinds=frozenset({OrganizationKind.SITE}),
            roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN}),
        )
        inbox.register(
            "queries.cro",
            query_inbox.cro_items,
            kinds=query_inbox.KINDS_CRO,
            org_kinds=frozenset({OrganizationKind.CRO}),
            roles=frozenset({Role.CRA, Role.DATA_MANAGER, Role.PROJECT_MANAGER}),
        )
