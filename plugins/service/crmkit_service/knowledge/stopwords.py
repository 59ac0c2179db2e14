"""English words too common to tell articles apart, left out of suggestions on SQLite.

PostgreSQL's text search configurations drop their language's stop words
themselves. SQLite's FTS5 keeps every word (and reads "can't" as "can" and "t"),
so a case's "I", "the" and "my" would match, and make rank, nearly every article.
"""

from __future__ import annotations

_LISTED = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your
yours yourself yourselves hello hi dear thanks thank please regards best cheers also
already still since get got cannot s t d m ll re ve
"""

STOPWORDS = frozenset(_LISTED.split())
