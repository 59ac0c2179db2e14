"""A throwaway plugin whose branch has two heads: two revisions written in parallel on one parent."""
