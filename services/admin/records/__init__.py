"""The console's Records area."""

from services.admin.area import Area

AREA = Area(name="records", title="Records", page="/ui/records", routes=list)
