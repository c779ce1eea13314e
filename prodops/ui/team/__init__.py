"""The Team page's parts: who I am, roles (admins assign them), the audit trail (admins read it)."""
