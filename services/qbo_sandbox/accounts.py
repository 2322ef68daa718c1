"""Account: unique Name, a known AccountType; Classification is derived."""

from __future__ import annotations

from services.qbo_sandbox import errors
from services.qbo_sandbox.company import Company, Record
from services.qbo_sandbox.defaults import CLASSIFICATION
from services.qbo_sandbox.fields import check_lengths, require, writable_part
from services.qbo_sandbox.meta import USD
from services.qbo_sandbox.parties import name_key
from services.qbo_sandbox.write_context import WriteContext

READ_ONLY = ("Classification", "CurrentBalance", "CurrentBalanceWithSubAccounts")


def build_account(
    company: Company, entity: str, body: Record, old: Record | None, ctx: WriteContext
) -> Record:
    record = {k: v for k, v in writable_part(body).items() if k not in READ_ONLY}
    name = require(record, "Name")
    check_lengths(record, {"Name": 100, "Description": 100, "AcctNum": 20})
    account_type = require(record, "AccountType")
    if account_type not in CLASSIFICATION:
        raise errors.invalid_enum("AccountType", account_type)
    for other in company.table("Account").values():
        if name_key(other["Name"]) == name_key(str(name)) and other is not old:
            raise errors.duplicate_name(
                f"The name supplied already exists. : Id={other['Id']}"
            )
    record.setdefault("Active", True)
    record.setdefault("SubAccount", False)
    record["FullyQualifiedName"] = record["Name"]
    record["Classification"] = CLASSIFICATION[account_type]
    record.setdefault("CurrencyRef", dict(USD))
    record["CurrentBalance"] = old.get("CurrentBalance", 0) if old else 0
    record["CurrentBalanceWithSubAccounts"] = record["CurrentBalance"]
    return record
