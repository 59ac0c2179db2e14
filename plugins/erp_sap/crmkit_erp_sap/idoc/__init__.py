"""IDoc XML files: DEBMAS and ORDERS05 in from a watched folder, ORDERS05 out."""
