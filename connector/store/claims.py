"""Leased claims: of several workers about to create the same thing at a vendor, one goes.

A claim is a row of ``side_effects`` (its unique scope and key do the arbitration in any
database); its value says "claimed at <time>" until the winner stores what it made. A claim
whose winner died before storing anything is taken over once its lease has run out, so a
crash never blocks the thing for good.
"""
import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.store.db import transaction
from connector.store.models import SideEffect

CLAIMED = "claimed "


def claim_key(*parts: str) -> str:
    """A fixed-length key for any tenant id and name (``side_effects.key`` holds 100 characters)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def claim(factory: sessionmaker[Session], scope: str, key: str, now: datetime, lease: timedelta) -> bool:
    """True if this caller may go ahead: nobody held the claim, or the holder's lease ran out."""
    mark = CLAIMED + now.isoformat()
    try:
        with transaction(factory) as session:
            session.add(SideEffect(scope=scope, key=key, external_id=mark))
        return True
    except IntegrityError:
        pass
    with transaction(factory) as session:
        held = session.scalar(select(SideEffect.external_id).where(SideEffect.scope == scope, SideEffect.key == key))
        if held is None or not held.startswith(CLAIMED):
            return False  # done: the thing exists
        if datetime.fromisoformat(held[len(CLAIMED):]) > now - lease:
            return False  # someone is at it
        taken = session.execute(update(SideEffect).where(  # compare-and-set: one of several late-comers wins
            SideEffect.scope == scope, SideEffect.key == key, SideEffect.external_id == held).values(external_id=mark))
        return taken.rowcount == 1


def settle(factory: sessionmaker[Session], scope: str, key: str, result: str) -> None:
    """The winner made it: the claim now names it and is never taken over."""
    with transaction(factory) as session:
        session.execute(update(SideEffect).where(SideEffect.scope == scope, SideEffect.key == key)
                        .values(external_id=result[:100]))
