"""A throwaway plugin whose migration does not create what its table declares (``colour``)."""
