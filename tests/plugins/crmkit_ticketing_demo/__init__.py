"""A throwaway plugin for the migration tests: one table, created by its one migration."""
