from django.apps import AppConfig


class RegulatoryConfig(AppConfig):
    name = "regulatory"
    verbose_name = "Regulatory documents"

    def ready(self) -> None:
        from accounts.models import Role
        from core import checklists, panels, schedules
        from core.navigation import NavItem, register
        from regulatory import checklists as regulatory_checklists
        from regulatory import panels as regulatory_panels

        register(
            NavItem(
                "Documents",
                "document_overview",
                order=25,
                kinds=frozenset({"cro", "site", "sponsor"}),
                active_for=frozenset(
                    {
                        "study_site_documents",
                        "document_detail",
                        "document_requirements",
                        "study_site_activation",
                        "study_site_close_out",
                    }
                ),
                group="Start-up",
            )
        )
        register(
            NavItem(
                "Document review",
                "document_review_queue",
                order=26,
                kinds=frozenset({"cro"}),
                roles=frozenset({Role.REGULATORY}),
                group="Start-up",
            )
        )
        panels.register(
            panels.Panel(
                "Documents expiring or rejected",
                "regulatory/panels/site.html",
                regulatory_panels.site_panel,
                order=25,
                kinds=frozenset({"site"}),
            )
        )
        panels.register(
            panels.Panel(
                "Documents to review",
                "regulatory/panels/review.html",
                regulatory_panels.review_panel,
                order=25,
                kinds=frozenset({"cro"}),
                roles=frozenset({Role.REGULATORY}),
            )
        )
        schedules.register(
            "regulatory-document-expiry",
            "regulatory.tasks.document_expiry_reminders",
            schedules.crontab(minute=30, hour=5),
        )
        checklists.register(
            checklists.ACTIVATION,
            "regulatory.documents",
            regulatory_checklists.activation_items,
            order=30,
        )
        checklists.register(
            checklists.CLOSE_OUT,
            "regulatory.documents",
            regulatory_checklists.close_out_items,
            order=30,
        )

        from core import inbox
        from regulatory import inbox as regulatory_inbox

        site_roles = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN})
        inbox.register(
            "regulatory.site",
            regulatory_inbox.site_items,
            kinds=regulatory_inbox.KINDS_SITE,
            org_kinds=frozenset({"site"}),
            roles=site_roles,
        )
        inbox.register(
            "regulatory.start_up",
            regulatory_inbox.start_up_items,
            kinds=regulatory_inbox.KINDS_START_UP,
            org_kinds=frozenset({"site"}),
            roles=site_roles,
        )
        inbox.register(
            "regulatory.cro",
            regulatory_inbox.cro_items,
            kinds=regulatory_inbox.KINDS_CRO,
            org_kinds=frozenset({"cro"}),
            roles=frozenset({Role.REGULATORY}),
        )
