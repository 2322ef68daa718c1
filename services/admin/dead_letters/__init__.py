"""The console's Dead letters area."""

from services.admin.area import Area

AREA = Area(
    name="dead_letters", title="Dead letters", page="/ui/dead-letters", routes=list
)
