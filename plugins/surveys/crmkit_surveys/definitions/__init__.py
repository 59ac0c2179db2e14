"""Surveys: definitions with versions, questions, branching and languages."""
