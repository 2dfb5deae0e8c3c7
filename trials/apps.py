from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"
    verbose_name = "Trials"

    def ready(self) -> None:
        from accounts.models import Role
        from core import checklists, notifications, panels, schedules
        from core.navigation import NavItem, register
        from trials import selectors, views

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
        register(
            NavItem(
                "Study updates",
                "study_update_list",
                order=12,
                active_for=frozenset({"study_update_detail", "study_update_create"}),
                group="Studies",
            )
        )
        register(
            NavItem(
                "Visits due",
                "visit_due_list",
                order=13,
                kinds=frozenset({"site"}),
                group="Studies",
            )
        )
        notifications.register_kind("study_update", "Study updates from the CRO")
        panels.register(
            panels.Panel(
                "Study updates unread",
                "trials/panels/study_updates.html",
                views.study_updates_panel,
                order=15,
                kinds=frozenset({"site"}),
                roles=frozenset({Role.SITE_ADMIN, Role.COORDINATOR, Role.INVESTIGATOR}),
                column="side",
            )
        )
        notifications.register_kind("visit_due", "Visits coming due next week")
        schedules.register(
            "trials.visit-due-reminders",
            "trials.tasks.subject_visit_due_reminders",
            schedules.crontab(hour=6, minute=45),
        )
        checklists.register(
            checklists.ACTIVATION,
            "trials.agreement",
            selectors.agreement_checklist_items,
            order=10,
        )
        checklists.register(
            checklists.CLOSE_OUT,
            "trials.ip_reconciliation",
            selectors.ip_reconciliation_checklist_items,
            order=40,
        )

        from core import inbox
        from trials import inbox as trials_inbox

        inbox.register(
            "trials.site",
            trials_inbox.site_items,
            kinds=trials_inbox.KINDS_SITE,
            org_kinds=frozenset({"site"}),
            roles=frozenset({Role.SITE_ADMIN, Role.COORDINATOR, Role.INVESTIGATOR}),
        )
