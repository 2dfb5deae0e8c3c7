from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        from accounts.models import OrganizationKind, Role
        from core import checklists, navigation, panels, schedules
        from safety import checklists as safety_checklists
        from safety import panels as safety_panels

        navigation.register(
            navigation.NavItem(
                "Safety",
                "adverse_event_list",
                order=40,
                kinds=frozenset({OrganizationKind.SITE, OrganizationKind.CRO}),
                active_for=frozenset({"adverse_event_detail", "adverse_event_new"}),
                group="Data & safety",
            )
        )
        panels.register(
            panels.Panel(
                name="SAE clocks running",
                template="safety/panels/sae_clocks.html",
                build=safety_panels.sae_clocks_panel,
                order=15,
                kinds=frozenset({OrganizationKind.SITE}),
                roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN}),
                column="main",
            )
        )
        panels.register(
            panels.Panel(
                name="SAEs to acknowledge",
                template="safety/panels/sae_to_acknowledge.html",
                build=safety_panels.sae_to_acknowledge_panel,
                order=15,
                kinds=frozenset({OrganizationKind.CRO}),
                roles=frozenset({Role.SAFETY}),
                column="main",
            )
        )
        panels.register(
            panels.Panel(
                name="Adverse events",
                template="safety/panels/subject_adverse_events.html",
                build=safety_panels.subject_adverse_events_panel,
                order=40,
                column="main",
                slot="subject",
            )
        )
        checklists.register(
            checklists.CLOSE_OUT,
            "safety.sae_acknowledged",
            safety_checklists.close_out_items,
            order=25,
        )
        schedules.register(
            "safety: SAE clock escalations",
            "safety.tasks.sae_escalations",
            schedules.crontab(minute="*/15"),
        )

        from core import inbox
        from safety import inbox as safety_inbox

        inbox.register(
            "safety.site",
            safety_inbox.site_items,
            kinds=safety_inbox.KINDS_SITE,
            org_kinds=frozenset({OrganizationKind.SITE}),
            roles=frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SITE_ADMIN}),
        )
        inbox.register(
            "safety.cro",
            safety_inbox.cro_items,
            kinds=safety_inbox.KINDS_CRO,
            org_kinds=frozenset({OrganizationKind.CRO}),
            roles=frozenset({Role.SAFETY}),
        )
        inbox.register(
            "safety.cra",
            safety_inbox.cra_items,
            kinds=safety_inbox.KINDS_CRA,
            org_kinds=frozenset({OrganizationKind.CRO}),
            roles=frozenset({Role.CRA}),
        )
