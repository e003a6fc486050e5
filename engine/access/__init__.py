"""Who may call the service: passwords, bearer tokens, staff roles, member sign-in and PINs,
terminal signing keys. The HTTP edge decides how credentials travel; this package decides
whether they are good and what the caller may do."""
