"""Scorecard objects of a tenant, for the access sweep: the site organization whose scorecard
across studies lives at /scorecards/sites/<site_id>/ (study and study-site ids are mapped by
the sweep itself)."""

OBJECT_KWARGS = {
    "site_id": lambda tenant: tenant.site.pk,
}
