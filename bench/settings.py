"""Settings of the bench run only (DJANGO_SETTINGS_MODULE=bench.settings): the project's own
settings, with a URLconf that adds Django's floor view (bench/floor_urls.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"

# collectstatic of the bench run goes to the ignored .data/ tree, not the deploy's staticfiles/
STATIC_ROOT = BASE_DIR / ".data" / "bench-static"  # noqa: F405
