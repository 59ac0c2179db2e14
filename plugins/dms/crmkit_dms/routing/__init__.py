"""Lead routing to partners with deadlines, acceptance, outcomes and the fallback queue."""
