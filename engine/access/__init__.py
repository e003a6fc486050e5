"""Who may call the service: passwords, bearer tokens, staff roles and their second step,
member sign-in, the devices members sign in from, PINs, terminal signing keys. The HTTP
edge decides how credentials travel; this package decides whether they are good and what
the caller may do."""
