"""Nicknames and short forms of first names, mapped to the name they stand for.

Compared names go through :func:`canonical_first_name`, so that "Bob Smith" and
"Robert Smith" agree on their first name. Only well-established forms are listed:
a wrong entry would make two different people look alike.
"""

from __future__ import annotations

from crmkit.core.matching.text import fold_name

_FORMS: dict[str, str] = {
    # English
    "robert": "bob bobby rob robbie",
    "william": "bill billy will willy",
    "richard": "dick rick ricky rich richie",
    "elizabeth": "liz lizzy beth betty eliza elisabeth",
    "margaret": "maggie meg peggy marge",
    "katherine": "kate katie kathy cathy catherine kathryn",
    "james": "jim jimmy jamie",
    "john": "jack johnny",
    "joseph": "joe joey",
    "michael": "mike mikey mick",
    "thomas": "tom tommy",
    "christopher": "chris",
    "daniel": "dan danny",
    "matthew": "matt",
    "anthony": "tony",
    "edward": "ed eddie ted ned",
    "charles": "charlie chuck",
    "david": "dave davy",
    "jennifer": "jen jenny",
    "susan": "sue susie",
    "patricia": "pat patty trish",
    "rebecca": "becky becca",
    "alexander": "alex",
    "benjamin": "ben benny",
    "samuel": "sam sammy",
    "nicholas": "nick nicky",
    "steven": "steve stephen",
    "andrew": "andy",
    "jonathan": "jon",
    "victoria": "vicky tori",
    "deborah": "debbie deb",
    "kimberly": "kim",
    # German
    "johannes": "hans hannes johann",
    "wolfgang": "wolf",
    "friedrich": "fritz",
    "heinrich": "heinz",
    "franziska": "franzi",
    "katharina": "kathi",
    "matthias": "matze",
    "stefanie": "steffi",
    "andreas": "andi",
    "susanne": "susi",
    "gabriele": "gabi",
    "josef": "sepp",
    # French
    "frederic": "fred",
    # Spanish and Italian
    "jose": "pepe",
    "francisco": "paco pancho",
    "manuel": "manolo",
    "antonio": "toni",
    "dolores": "lola",
    "concepcion": "concha",
    "ignacio": "nacho",
    "giuseppe": "beppe peppe pino",
    "giovanni": "gianni",
    "francesco": "franco",
    "alessandro": "sandro",
}

NICKNAMES: dict[str, str] = {
    fold_name(form): fold_name(name) for name, forms in _FORMS.items() for form in forms.split()
}
"""Each short form and the full name it stands for, folded as compared names are
(:func:`~crmkit.core.matching.text.fold_name`: "michael" is "michal" there)."""


_FORMS_OF: dict[str, frozenset[str]] = {}
for _form, _name in NICKNAMES.items():
    _FORMS_OF[_name] = _FORMS_OF.get(_name, frozenset({_name})) | {_form}


def forms_of(name: str) -> frozenset[str]:
    """Every form of the full name a folded first name stands for: "mike" -> michal, mike, mikey, mick."""
    canonical = canonical_first_name(name)
    return _FORMS_OF.get(canonical, frozenset({canonical}))


def canonical_first_name(name: str) -> str:
    """The full name a normalised first name stands for (``bob`` -> ``robert``), else the name."""
    return NICKNAMES.get(name, name)
