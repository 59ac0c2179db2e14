"""Prospect intake: every source's prospects go through one pipeline (see :mod:`.pipeline`)."""
