"""Answering on a signed link with no login: pages in the recipient's language, partial answers kept, one response per invitation, what a completed answer sets off."""
