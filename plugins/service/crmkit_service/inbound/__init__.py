"""Email to case: inbound mail on a case's thread added to it, new mail to support opening a case, auto-answers."""
