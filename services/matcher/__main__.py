from common.runtime import run_service
from services.matcher.service import build

run_service("matcher", build)
