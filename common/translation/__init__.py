"""What both gateways' translation layers share: reading API JSON, exact
money, field tables, per-connection extra fields and discount spreading.

Nothing here knows an API; each gateway's ``translation/`` names its own
fields, modules and entities (docs/TRANSLATION.md).
"""
