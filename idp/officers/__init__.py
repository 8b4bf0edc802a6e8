"""The officer console: staff roles, client administration, accounts made on a citizen's behalf,
in-person identity checks and assisted digital sessions. Every action is written to ``idp.audit``."""
