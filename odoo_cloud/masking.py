"""What a secret looks like in text, and the text with it masked.

The one net every output goes through: ``odoo-cloud check``, the startup
refusals, the container entrypoint (through :mod:`.config`) and the JSON logs
(:mod:`.logs`). It masks a value by its form, valid or not: a URL's user
info (``user:password@host`` without a scheme too), a ``key=value`` whose
key names a credential (a password, a token, an Azure ``AccountKey`` or
``SharedAccessSignature``, a SAS or presigned URL's ``sig``,
``X-Amz-Signature`` or ``X-Amz-Credential``), an ``Authorization`` header or
a cookie.
"""

import re

MASK = "********"

_SENSITIVE = (
    r"passw|pwd|secret|token|api[_-]?key|account[_-]?key|authorization|cookie"
    r"|session_id|signature|credential|(?<![a-z])sig(?![a-z])"
)
_KEY = rf"[\w.-]*(?:{_SENSITIVE})[\w.-]*"
# Substring tests on the lowercased text, much faster than a case-blind regex:
# the words of _SENSITIVE, then what makes the patterns below worth running.
KEY_HINTS = ("passw", "pwd", "secret", "token", "api_key", "apikey", "api-key")
KEY_HINTS += ("accountkey", "account_key", "account-key", "authorization")
KEY_HINTS += ("cookie", "session_id", "signature", "credential", "sig")
_TEXT_HINTS = (*KEY_HINTS, "bearer", "basic", "@")
_PATTERNS = (
    # An HTTP header line: "Authorization: Basic ...", "Cookie: a=b; c=d".
    (
        re.compile(
            r"\b((?:proxy-)?authorization|(?:set-)?cookie)(\s*:\s*)[^\r\n]+", re.I
        ),
        rf"\1\2{MASK}",
    ),
    # A quoted key and value, as in a dict repr or JSON: 'password': 'x'.
    (
        re.compile(rf"""(["'])({_KEY})\1(\s*[:=]\s*)(["'])(?:\\.|(?!\4).)*\4""", re.I),
        rf"\1\2\1\3\4{MASK}\4",
    ),
    # key=value, as in a query string, a connection string or keyword
    # arguments: password=x, AccountKey=x;, sig=x&.
    (re.compile(rf"\b({_KEY})(\s*[=:]\s*)[^\s&;,'\"]+", re.I), rf"\1\2{MASK}"),
    (re.compile(r"\b(bearer|basic)\s+[\w.~+/=-]+", re.I), rf"\1 {MASK}"),
    # The user info of a URL, up to its last '@' (a password may hold an
    # unencoded '/'): scheme://user:password@host keeps the user,
    # scheme://token@host keeps nothing.
    (re.compile(r"(\w://[^\s/:@]*:)[^\s'\"]*@"), rf"\1{MASK}@"),
    (re.compile(r"(\w://)[^\s/:@]+@"), rf"\1{MASK}@"),
    # The same without a scheme, as in a host:port setting: user:password@host.
    (re.compile(r"(?<![\w/.:@%+~-])([\w.%+~-]*:)(?!//)[^\s'\"]+@"), rf"\1{MASK}@"),
)


def mentions(text, hints):
    lowered = text.lower()
    for hint in hints:  # noqa: SIM110 - any() over a generator is twice slower
        if hint in lowered:
            return True
    return False


def mask(text):
    """``text`` with every secret it holds, by its form, masked."""
    if mentions(text, _TEXT_HINTS):
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
    return text
