"""The console's Backfills area."""

from services.admin.area import Area

AREA = Area(name="backfills", title="Backfills", page="/ui/backfills", routes=list)
