"""The console's areas, in the dashboard's navigation order."""

from services.admin.area import Area
from services.admin.backfills import AREA as BACKFILLS
from services.admin.dead_letters import AREA as DEAD_LETTERS
from services.admin.overview import AREA as OVERVIEW
from services.admin.reconcile import AREA as RECONCILE
from services.admin.records import AREA as RECORDS

AREAS: tuple[Area, ...] = (OVERVIEW, RECORDS, DEAD_LETTERS, BACKFILLS, RECONCILE)
