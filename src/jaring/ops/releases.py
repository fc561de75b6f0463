"""The database schema of each release: the last migration of every app when it was cut.

`tests/test_migrations.py` migrates a database back to the previous release's schema, fills
it with data through that release's models, and migrates forward to today's — so an upgrade is
tested on a database like a Pemda's, not only from empty. When cutting a release, add its
entry here (`jaring showmigrations --plan` lists the last migration of each app).
"""

RELEASES: dict[str, dict[str, str]] = {
    "0.1.0": {
        "accounts": "0004_historicaluser_totp_enabled_at_user_totp_cipher_and_more",
        "api": "0001_initial",
        "claims": "0001_initial",
        "enrolment": "0002_initial",
        "finance": "0002_leaner_line_indexes",
        "regions": "0001_initial",
        "registry": "0004_leaner_indexes",
        "reports": "0001_initial",
    },
}
PREVIOUS_RELEASE = "0.1.0"
