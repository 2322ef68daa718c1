"""The console's Overview area."""

from services.admin.area import Area

AREA = Area(name="overview", title="Overview", page="/ui/", routes=list)
