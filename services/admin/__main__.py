"""`python -m services.admin`: the operator's console (HTTP API and dashboard).
The command line is `syncctl` (services/admin/syncctl.py)."""

from services.admin.server import main

main()
