"""The knowledge base: versioned articles, full-text search in the database, suggestions, feedback."""
