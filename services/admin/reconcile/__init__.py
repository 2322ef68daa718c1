"""The console's Reconcile area."""

from services.admin.area import Area

AREA = Area(name="reconcile", title="Reconcile", page="/ui/reconcile", routes=list)
