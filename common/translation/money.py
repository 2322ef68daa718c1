"""Decimal in, Decimal through, exact JSON numbers out.

APIs hand us JSON numbers, which ``json.loads`` turns into floats. A float
that came from JSON text such as ``362.07`` prints back as the same shortest
text, so ``Decimal(str(f))`` recovers exactly what the API sent. All
arithmetic happens on Decimals, so 0.1 + 0.2 is 0.3. Bodies we build hold
``int``/``float`` values made by ``json_number``, which refuses any value a
float cannot carry digit for digit; the HTTP client can then use plain
``json.dumps`` and send exactly the digits we computed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
# A binary64 float reproduces any decimal of up to 15 significant digits.
FLOAT_DIGITS = 15


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return tidy(number)


def tidy(number: Decimal) -> Decimal:
    """One spelling per value (275.0 and 275 are both "275"), so hashes agree."""
    normal = number.normalize()
    if normal.as_tuple().exponent > 0:  # type: ignore[operator]
        normal = normal.quantize(Decimal(1))
    return normal if normal != 0 else Decimal(0)


def cents(number: Decimal) -> Decimal:
    return tidy(number.quantize(CENT, rounding=ROUND_HALF_UP))


def json_number(number: Decimal) -> int | float:
    value = tidy(number)
    if value == value.to_integral_value():
        return int(value)
    digits = len(value.as_tuple().digits)
    if digits > FLOAT_DIGITS:
        raise ValueError(f"{value} has more digits than a JSON number carries exactly")
    return float(str(value))
