"""What a new password must be (NIST SP 800-63B): long enough, not a common one, not the username.

No rules of composition (a digit, a capital letter) and no expiry: NIST advises
against both, as they make people choose predictable passwords. What is refused
instead is what a guesser tries first: the most common passwords (the list in
``common_passwords.txt.gz``, see ``common_passwords.LICENSE`` for where it comes
from), the username and passwords built on it, and passwords of spaces only.
Spaces and any Unicode character are allowed otherwise; length counts characters.
"""

from __future__ import annotations

import functools
import gzip
from importlib.resources import files

from crmkit.core.errors import ValidationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
"""Bounds the work a single login attempt can cause."""
MIN_USERNAME_IN_PASSWORD = 3
"""Shorter usernames are too likely to be part of a good password by chance."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, in lower case."""
    packed = files(__package__).joinpath("common_passwords.txt.gz").read_bytes()
    lines = gzip.decompress(packed).decode("utf-8").splitlines()
    return frozenset(line.strip() for line in lines) - {""}


def _is_common(plain: str) -> bool:
    return plain.strip().lower() in common_passwords()


def check_new_password(plain: str, username: str) -> None:
    """Raise ValidationError naming ``password`` unless ``plain`` may become ``username``'s password."""
    if len(plain) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(plain) > MAX_PASSWORD_LENGTH:
        raise ValidationError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if not plain.strip():
        raise ValidationError("password", "must not be only spaces")
    if _is_common(plain):
        raise ValidationError("password", "is one of the most common passwords: choose another")
    name = username.casefold()
    if plain.casefold().strip() == name:
        raise ValidationError("password", "must not be the username")
    if len(name) >= MIN_USERNAME_IN_PASSWORD and name in plain.casefold():
        # What is left besides the username must be a password in its own right.
        rest = plain.casefold().replace(name, "").strip()
        if len(rest) < MIN_PASSWORD_LENGTH or _is_common(rest):
            raise ValidationError("password", "must not be the username with a little added")
