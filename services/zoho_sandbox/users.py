"""The Users (`GET /crm/v8/users`) and Organization (`GET /crm/v8/org`) APIs,
for the org's one API user.

Zoho's own SDK calls both right after it gets an access token
(`users?type=CurrentUser`, then `org`) to label the token it stores with
`email:zgid`; a client that reads the current user's id or the org's time
zone uses them too. Only the keys such clients read are filled in.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .errors import ZohoError
from .org import Org
from .render import zoho_time
from .state import ORG_KEY, state_of

# The org has one (active, confirmed, administrator) user.
MATCHING_TYPES = {
    "AllUsers",
    "ActiveUsers",
    "ConfirmedUsers",
    "ActiveConfirmedUsers",
    "AdminUsers",
    "ActiveConfirmedAdmins",
    "CurrentUser",
}
EMPTY_TYPES = {"DeactiveUsers", "NotConfirmedUsers", "DeletedUsers"}
COUNTRIES = {
    "us": ("United States", "US"),
    "eu": ("Germany", "DE"),
    "uk": ("United Kingdom", "GB"),
    "in": ("India", "IN"),
    "au": ("Australia", "AU"),
    "jp": ("Japan", "JP"),
    "cn": ("China", "CN"),
    "ca": ("Canada", "CA"),
    "sa": ("Saudi Arabia", "SA"),
}


def org_ids(org: Org) -> tuple[str, str]:
    """The org's record id and its `zgid` (the numeric org id users see)."""
    return f"{org.id_prefix}000000002061", org.id_prefix[:7]


def describe_user(org: Org, now: float) -> dict[str, Any]:
    first, _, last = org.user["name"].partition(" ")
    country, code = COUNTRIES.get(org.location, COUNTRIES["us"])
    return {
        "id": org.user["id"],
        "zuid": org.user["zuid"],
        "email": org.user["email"],
        "first_name": first,
        "last_name": last,
        "full_name": org.user["name"],
        "status": "active",
        "confirm": True,
        "role": {"name": "CEO", "id": f"{org.id_prefix}000000026005"},
        "profile": {"name": "Administrator", "id": f"{org.id_prefix}000000026011"},
        "country": code,
        "country_locale": f"en_{code}",
        "locale": f"en_{code}",
        "language": "en_US",
        "time_zone": org.time_zone,
        "date_format": "MM/dd/yyyy",
        "time_format": "hh:mm a",
        "name_format__s": "Salutation,First Name,Last Name",
        "created_time": zoho_time(org, now),
        "Modified_Time": zoho_time(org, now),
        "Isonline": True,
        "microsoft": False,
        "sort_order_preference__s": "First Name,Last Name",
        "status_reason__s": None,
        "created_by": {"name": org.user["name"], "id": org.user["id"]},
        "Modified_By": {"name": org.user["name"], "id": org.user["id"]},
        "country_name": country,
    }


async def list_users(request: web.Request) -> web.Response:
    org: Org = request[ORG_KEY]
    kind = request.query.get("type", "AllUsers")
    if kind in EMPTY_TYPES:
        return web.Response(status=204)
    if kind not in MATCHING_TYPES:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"param_name": "type"})
    user = describe_user(org, state_of(request).clock.timestamp())
    return web.json_response(
        {
            "users": [user],
            "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
        }
    )


async def get_org(request: web.Request) -> web.Response:
    org: Org = request[ORG_KEY]
    record_id, zgid = org_ids(org)
    country, code = COUNTRIES.get(org.location, COUNTRIES["us"])
    return web.json_response(
        {
            "org": [
                {
                    "id": record_id,
                    "zgid": zgid,
                    "domain_name": f"org{zgid}",
                    "company_name": org.name,
                    "primary_email": org.user["email"],
                    "primary_zuid": org.user["zuid"],
                    "country": country,
                    "country_code": code,
                    "time_zone": org.time_zone,
                    "currency": "US Dollar - USD",
                    "currency_symbol": "$",
                    "iso_code": "USD",
                    "currency_locale": "en_US",
                    "mc_status": False,
                    "gapps_enabled": False,
                    "translation_enabled": True,
                    "privacy_settings": False,
                    "hipaa_compliance_enabled": False,
                    "lite_users_enabled": False,
                    "max_per_page": 200,
                    "type": "production",
                    "employee_count": None,
                    "phone": None,
                    "mobile": None,
                    "fax": None,
                    "website": None,
                    "street": None,
                    "city": None,
                    "state": None,
                    "zip": None,
                    "description": None,
                    "alias": None,
                    "photo_id": None,
                }
            ]
        }
    )
