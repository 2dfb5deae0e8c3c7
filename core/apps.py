from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.schedules import crontab, register

        # Yesterday's digest emails go out early each morning (UTC).
        register(
            "core.daily-digests", "core.tasks.notification_digest_sweep", crontab(hour=6, minute=0)
        )
