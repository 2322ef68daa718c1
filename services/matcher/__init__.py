"""The matcher: identity, links, echo suppression, conflicts, dependencies.

The only writer of links; it never calls an external API (DESIGN §5). The bus
calls ``Matcher.handle`` (see ``bootstrap``) for every ``change.*``,
``written.*`` and ``command.*`` message.
"""
