"""Short builders for hand-written meanings in the grammar tests."""

from audiopalm.data.babel.meaning import NounPhrase


def N(head, number="sg", det="def", count=None, adj=None, rel=None):
    return NounPhrase("noun", head, number=number, det=det, count=count, adj=adj, rel=rel)


def P(head, gender="m"):
    return NounPhrase("pronoun", head, gender=gender)


def name(head):
    return NounPhrase("name", head)
