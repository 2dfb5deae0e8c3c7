from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from accounts.models import Role
        from core import checklists, panels, schedules
        from core.navigation import NavItem, register
        from monitoring import panels as monitoring_panels

        register(
            NavItem(
                "Monitoring visits",
                "monitoring_visit_list",
                order=30,
                kinds=frozenset({"cro", "site", "sponsor"}),
                active_for=frozenset(
                    {
                        "monitoring_visit_detail",
                        "monitoring_visit_plan",
                        "monitoring_visit_review",
                        "monitoring_visit_letter",
                        "monitoring_visit_confirmation_letter",
                        "monitoring_calendar",
                    }
                ),
                group="Site visits",
            )
        )
        register(
            NavItem(
                "Action items",
                "action_item_list",
                order=31,
                kinds=frozenset({"cro", "site", "sponsor"}),
                active_for=frozenset({"action_item_detail"}),
                group="Site visits",
            )
        )
        panels.register(
            panels.Panel(
                "My monitoring",
                "monitoring/panels/cra.html",
                monitoring_panels.cra_panel,
                order=20,
                kinds=frozenset({"cro"}),
                roles=frozenset({Role.CRA}),
            )
        )
        panels.register(
            panels.Panel(
                "Reports awaiting my approval",
                "monitoring/panels/approvals.html",
                monitoring_panels.approvals_panel,
                order=20,
                kinds=frozenset({"cro"}),
                roles=frozenset({Role.PROJECT_MANAGER}),
            )
        )
        panels.register(
            panels.Panel(
                "Monitoring",
                "monitoring/panels/site.html",
                monitoring_panels.site_panel,
                order=20,
                kinds=frozenset({"site"}),
            )
        )
        schedules.register(
            "monitoring-reminders",
            "monitoring.tasks.monitoring_reminders_send",
            schedules.crontab(minute=15, hour="*/6"),
        )
        checklists.register(checklists.ACTIVATION, "monitoring.siv", monitoring_panels.siv_item)
        checklists.register(checklists.CLOSE_OUT, "monitoring.cov", monitoring_panels.cov_items)

        from core import inbox
        from monitoring import inbox as monitoring_inbox

        site_roles = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN})
        inbox.register(
            "monitoring.site",
            monitoring_inbox.site_items,
            kinds=monitoring_inbox.KINDS_SITE,
            org_kinds=frozenset({"site"}),
            roles=site_roles,
        )
        inbox.register(
            "monitoring.cra",
            monitoring_inbox.cra_items,
            kinds=monitoring_inbox.KINDS_CRA,
            org_kinds=frozenset({"cro"}),
            roles=frozenset({Role.CRA}),
        )
