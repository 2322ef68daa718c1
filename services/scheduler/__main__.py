from common.runtime import run_service
from services.scheduler.service import build

run_service("scheduler", build)
