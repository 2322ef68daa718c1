from common.runtime import run_service
from services.crm_gateway.service import build

run_service("crm_gateway", build)
