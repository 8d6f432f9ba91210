"""CloudStack's HMAC-SHA1 request signature (spec §1.2), and the ``expires`` timestamps of v3.

The server signs the decoded parameters sorted by raw name, each value encoded with Java's
``URLEncoder`` (``+`` turned into ``%20``), the whole string lowercased. Real clients get that
encoding slightly wrong, and CloudStack users have lived with the resulting 401s for years
(spec §5): Python 3's ``quote`` and Go's ``QueryEscape`` leave ``~`` literal, libcloud also
leaves ``[`` and ``]`` in values and sorts lowercased names, and Python 2's ``quote_plus`` (old
Marvin) and Ruby's ``CGI.escape`` (fog) encode ``*``. We accept each of these variants, so a
request signed by any listed client verifies. A variant changes only how a character is written
or the order of the pairs, never which pairs are signed, so it lets no unsigned value through.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from typing import Final
from urllib.parse import quote

# Punctuation each client leaves unencoded besides ASCII letters and digits. The Java-exact
# encoding comes first, so canonical_strings() lists the server's own string first.
_ENCODINGS: Final = (
    "*-._",  # java.net.URLEncoder: CloudStack itself, clostack
    "*-._~",  # Python 3 quote(v, safe="*"): cs; Go QueryEscape with %2A restored: CloudMonkey
    "*-._~[]",  # quote(v, safe="[]*"): libcloud
    "-._",  # Python 2 quote_plus: old Marvin; Ruby CGI.escape before 2.5: fog
    "-._~",  # Ruby CGI.escape since 2.5: fog
)
_Pair = tuple[str, str]
_ORDERS: Final[tuple[Callable[[_Pair], str], ...]] = (
    lambda pair: pair[0],  # Collections.sort on the raw names: the server, cs, CloudMonkey, fog
    lambda pair: pair[0].lower(),  # lowercased names: libcloud, old Marvin
)


def _encode(value: str, safe: str) -> str:
    # quote() never encodes "~", so a variant that does must do it afterwards. A lone surrogate
    # becomes "?" before encoding, as Java's String.getBytes does.
    encoded = quote(value, safe=safe, encoding="utf-8", errors="replace")
    return encoded if "~" in safe else encoded.replace("~", "%7E")


def canonical_strings(params: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Every string a listed client may have signed for ``params``, the server's own first.

    ``params`` are the decoded pairs without ``signature``. A repeated name keeps its first value,
    the rule ``params.parse`` applies, so the signature covers the value the command will use.
    """
    first: dict[str, str] = {}
    for name, value in params:
        first.setdefault(name, value)
    strings: dict[str, None] = {}
    for safe in _ENCODINGS:
        encoded = [(name, _encode(value, safe)) for name, value in first.items()]
        for order in _ORDERS:
            pairs = sorted(encoded, key=order)
            strings["&".join(f"{name}={value}" for name, value in pairs).lower()] = None
    return tuple(strings)


def sign(canonical: str, secret_key: str) -> str:
    # A lone surrogate in a name becomes "?", as in Java's String.getBytes, instead of an error.
    digest = hmac.new(
        secret_key.encode(), canonical.encode(errors="replace"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(params: Sequence[tuple[str, str]], signature: str, secret_key: str) -> bool:
    """Whether ``signature`` signs ``params`` (without ``signature``) in any accepted variant.

    A ``+`` in an unencoded signature arrives as a space after form decoding; that is the only
    damage we repair.
    """
    given = signature.replace(" ", "+")
    if not given.isascii():  # compare_digest refuses non-ASCII str, and Base64 has none
        return False
    return any(
        hmac.compare_digest(sign(canonical, secret_key), given)
        for canonical in canonical_strings(params)
    )


_DATE_TIME: Final = (
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
)
_SECOND: Final = r":(?P<second>[0-9]{2})"
# The formatters of DateUtil.parseTZDateString, tried in the same order.
_EXPIRES_FORMATS: Final = (
    # ISO_OFFSET_DATE_TIME and ISO_INSTANT: seconds and fraction optional, "Z" or "+01:00", and
    # case-insensitive like every java.time ISO formatter.
    re.compile(
        rf"{_DATE_TIME}(?:{_SECOND}(?:\.(?P<fraction>[0-9]{{1,9}}))?)?"
        r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)",
        re.IGNORECASE,
    ),
    # yyyy-MM-dd'T'HH:mm:ssZ, which cs and clostack send: "+0000"
    re.compile(rf"{_DATE_TIME}{_SECOND}(?P<offset>[+-][0-9]{{4}})"),
    # yyyy-MM-dd'T'HH:mm:ss.SSSSSSX and .SSSSSSZ: exactly six digits, "Z", "+01" or "+0100"
    re.compile(
        rf"{_DATE_TIME}{_SECOND}\.(?P<fraction>[0-9]{{6}})"
        r"(?P<offset>Z|[+-][0-9]{2}(?:[0-9]{2})?)"
    ),
    # the legacy yyyy-MM-dd'T'HH:mm:ss'Z'Z: a literal Z, then the real offset
    re.compile(rf"{_DATE_TIME}{_SECOND}Z(?P<offset>[+-][0-9]{{4}})"),
)
_MAX_OFFSET: Final = dt.timedelta(hours=18)  # java.time.ZoneOffset's range


def _offset(text: str) -> dt.timezone | None:
    if text.upper() == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[0:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    size = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if minutes > 59 or seconds > 59 or size > _MAX_OFFSET:
        return None
    return dt.timezone(-size if text[0] == "-" else size)


def _instant(match: re.Match[str]) -> dt.datetime | None:
    zone = _offset(match["offset"])
    if zone is None:
        return None
    fraction = match.groupdict().get("fraction") or ""
    try:
        return dt.datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int(fraction[:6].ljust(6, "0")),  # java.time keeps nanoseconds; we keep micros
            tzinfo=zone,
        )
    except ValueError:  # February 30th, hour 24 and the like
        return None


def parse_expires(text: str) -> dt.datetime | None:
    """The instant a v3 request stops being valid, or None when CloudStack could not read it."""
    for pattern in _EXPIRES_FORMATS:
        if (match := pattern.fullmatch(text)) and (instant := _instant(match)):
            return instant
    return None
