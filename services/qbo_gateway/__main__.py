from common.runtime import run_service
from services.qbo_gateway.service import build

run_service("qbo_gateway", build)
