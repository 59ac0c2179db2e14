"""Assets a customer owns, warranty and service contracts, and the entitlement of a case."""
