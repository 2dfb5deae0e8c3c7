from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Site payments"

    def ready(self) -> None:
        from accounts.models import OrganizationKind, Role
        from core import checklists, events, panels, schedules
        from core.navigation import NavItem, register
        from payments import checklists as payment_checklists
        from payments import handlers
        from payments.panels import finance_queue_panel, site_payments_panel

        events.subscribe("subject_visit.completed", handlers.on_subject_visit_completed)
        events.subscribe("subject_visit.reverted", handlers.on_subject_visit_reverted)
        events.subscribe("subject.screen_failed", handlers.on_subject_screen_failed)
        events.subscribe("milestone.reached", handlers.on_milestone_reached)

        register(
            NavItem(
                "Payments",
                "payments_overview",
                order=50,
                kinds=frozenset({OrganizationKind.CRO, OrganizationKind.SITE}),
                active_for=frozenset(
                    {"payments_study_site", "payments_budget", "payments_budget_version_create"}
                ),
                group="Payments",
            )
        )
        register(
            NavItem(
                "Invoices",
                "payments_invoice_list",
                order=51,
                kinds=frozenset({OrganizationKind.CRO, OrganizationKind.SITE}),
                roles=frozenset(
                    {
                        Role.FINANCE,
                        Role.FINANCE_APPROVER,
                        Role.ADMIN,
                        Role.COORDINATOR,
                        Role.SITE_ADMIN,
                        Role.INVESTIGATOR,
                    }
                ),
                active_for=frozenset({"payments_invoice_detail", "payments_invoice_create"}),
                group="Payments",
            )
        )
        register(
            NavItem(
                "Payment runs",
                "payments_run_list",
                order=52,
                kinds=frozenset({OrganizationKind.CRO, OrganizationKind.SITE}),
                roles=frozenset(
                    {
                        Role.FINANCE,
                        Role.FINANCE_APPROVER,
                        Role.ADMIN,
                        Role.COORDINATOR,
                        Role.SITE_ADMIN,
                    }
                ),
                active_for=frozenset({"payments_run_detail", "payments_run_create"}),
                group="Payments",
            )
        )
        register(
            NavItem(
                "Disputes",
                "payments_dispute_list",
                order=53,
                kinds=frozenset({OrganizationKind.CRO, OrganizationKind.SITE}),
                roles=frozenset(
                    {
                        Role.FINANCE,
                        Role.FINANCE_APPROVER,
                        Role.ADMIN,
                        Role.COORDINATOR,
                        Role.SITE_ADMIN,
                    }
                ),
                active_for=frozenset({"payments_dispute_detail"}),
                group="Payments",
            )
        )
        register(
            NavItem(
                "Aging report",
                "payments_aging",
                order=54,
                kinds=frozenset({OrganizationKind.CRO, OrganizationKind.SITE}),
                roles=frozenset(
                    {
                        Role.FINANCE,
                        Role.FINANCE_APPROVER,
                        Role.ADMIN,
                        Role.COORDINATOR,
                        Role.SITE_ADMIN,
                    }
                ),
                group="Payments",
            )
        )
        checklists.register(
            checklists.ACTIVATION,
            "payments.budget",
            payment_checklists.activation_items,
            order=60,
        )
        checklists.register(
            checklists.CLOSE_OUT,
            "payments.final_run",
            payment_checklists.close_out_items,
            order=60,
        )
        panels.register(
            panels.Panel(
                "Finance queue",
                "payments/panels/finance_queue.html",
                finance_queue_panel,
                order=20,
                kinds=frozenset({OrganizationKind.CRO}),
                roles=frozenset({Role.FINANCE, Role.FINANCE_APPROVER}),
                column="main",
            )
        )
        panels.register(
            panels.Panel(
                "Site payments",
                "payments/panels/site_payments.html",
                site_payments_panel,
                order=40,
                kinds=frozenset({OrganizationKind.SITE}),
                roles=frozenset({Role.COORDINATOR, Role.SITE_ADMIN}),
                column="side",
            )
        )
        schedules.register(
            "payments: payment reminders",
            "payments.tasks.payment_reminders_send",
            schedules.crontab(minute=30, hour=6),
        )

        from core import inbox
        from payments import inbox as payments_inbox

        inbox.register(
            "payments.site",
            payments_inbox.site_items,
            kinds=payments_inbox.KINDS_SITE,
            org_kinds=frozenset({OrganizationKind.SITE}),
            roles=frozenset({Role.COORDINATOR, Role.SITE_ADMIN}),
        )
        inbox.register(
            "payments.finance",
            payments_inbox.finance_items,
            kinds=payments_inbox.KINDS_FINANCE,
            org_kinds=frozenset({OrganizationKind.CRO}),
            roles=frozenset({Role.FINANCE, Role.FINANCE_APPROVER}),
        )
