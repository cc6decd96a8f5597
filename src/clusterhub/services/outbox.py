"""An outbox: e-mail that leaves only once the transaction that wrote its subject is stored.

Use cases queue messages on their session with ``send_after_commit``; SQLAlchemy's
``after_commit`` hook hands them to the mailer, and a rollback drops them. So nobody is mailed
a link to a token that was never stored, nor about an interest that failed to save.

Sending cannot undo the write, which is stored by then: a failure is logged, and remembered
on the session until its next commit, so that a page that has committed can ask
``undelivered(session)`` and tell people "we could not send the e-mail, try again" instead of
pretending it left (or answering 500).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from clusterhub.services.mail import Mailer, OutgoingMail

log = logging.getLogger("clusterhub.outbox")
_QUEUE = "clusterhub.outbox.queue"
_FAILED = "clusterhub.outbox.failed"


def send_after_commit(session: Session, *, mailer: Mailer, mails: Iterable[OutgoingMail]) -> None:
    """Send ``mails`` through ``mailer`` once ``session`` commits; drop them on rollback."""
    queue: list[tuple[Mailer, OutgoingMail]] | None = session.info.get(_QUEUE)
    if queue is None:
        queue = session.info[_QUEUE] = []
        event.listen(session, "after_commit", _deliver)
        event.listen(session, "after_rollback", _drop)
    queue.extend((mailer, mail) for mail in mails)


def undelivered(session: Session) -> list[OutgoingMail]:
    """The mails of the session's last commit that could not be sent (empty if all left)."""
    failed: list[OutgoingMail] = session.info.get(_FAILED, [])
    return list(failed)


def _deliver(session: Session) -> None:
    queue: list[tuple[Mailer, OutgoingMail]] = session.info.get(_QUEUE, [])
    pending = list(queue)
    queue.clear()
    failed = session.info[_FAILED] = []
    for mailer, mail in pending:
        try:
            mailer.send(mail)
        except Exception:  # best effort: the write is stored; the failure is logged and told
            log.exception("could not send mail %r to %s", mail.subject, mail.to)
            failed.append(mail)


def _drop(session: Session, *_: Any) -> None:
    session.info.get(_QUEUE, []).clear()
