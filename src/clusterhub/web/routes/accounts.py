"""Account pages: register, log in and out, profile, e-mail verification, password change and
reset, user admin (the audit log is ``routes.audit``).

Handlers parse the form, call one ``services.accounts.users`` (or ``email_verification``) function
and render. Invalid input is answered with the same form re-rendered (422) and each problem
linked to its field, which the generic error page cannot do; every other domain error goes to
``web/errors.py``. Pages that mail a link commit before answering (``commit_then_mail``), so
they can say when the e-mail could not be sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterhub.errors import InvalidInput, Problem, RateLimited
from clusterhub.services.accounts import logins
from clusterhub.services.accounts import users as accounts
from clusterhub.services.accounts import verification as email_verification
from clusterhub.services.accounts.users import ROLE_LABELS, Role, UserPublic
from clusterhub.services.mail import make_mailer
from clusterhub.web.deps import AppSettings, DbSession, commit_then_mail, read_only
from clusterhub.web.forms import labelled
from clusterhub.web.security import (
    CurrentUser,
    OptionalUser,
    clear_session_cookie,
    client_address,
    require_role,
    safe_next,
    session_token,
    set_session_cookie,
)

router = APIRouter(prefix="/account", include_in_schema=False)

FormText = Annotated[str, Form()]
Token = Annotated[str, Path(min_length=1, max_length=200)]
SiteAdmin = Annotated[UserPublic, Depends(require_role(Role.SITE_ADMIN))]
#: Account pages hold secrets (reset tokens in the address): never cache them, and send no
#: referrer at all (framing is refused on every page, see ``web.headers``).
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
NOTICES = {
    "profile": "Your name was saved.",
    "password": "Your password was changed; other devices were logged out.",
    "reset": "Your password was changed. Log in with the new one.",
    "role": "The role was changed.",
    "registered": "Welcome! We sent a link to your e-mail address: open it to verify it.",
    "verify_sent": "We sent a new verification link to your e-mail address.",
    "verified": "Your e-mail address is verified.",
}
MAIL_FAILED = "We could not send the e-mail. Please try again in a few minutes."
PROBLEMS = {"mail": MAIL_FAILED}
Saved = Annotated[str | None, Query(max_length=20)]


#: The account forms' labels, which name a field in its error messages (``web.forms``).
ACCOUNT_LABELS = {
    "email": "E-mail address", "display_name": "Name shown to others", "password": "Password",
    "current_password": "Current password", "new_password": "New password", "role": "Role",
}  # fmt: skip


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context["errors"] = labelled(context.get("errors") or [], ACCOUNT_LABELS)
    context.setdefault("values", {})
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, f"pages/account/{template}", context, status_code=status, headers=NO_STORE
    )
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


def _notice(saved: str | None) -> str | None:
    """Only known notices are shown: nothing from the address is echoed into the page."""
    return NOTICES.get(saved or "")


def _problems(problem: str | None) -> list[Problem]:
    """Known problems only, for the same reason."""
    known = PROBLEMS.get(problem or "")
    return [Problem(known)] if known else []


# --- register, log in, log out ---------------------------------------------------------------


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, user: OptionalUser) -> Response:
    """The registration form (logged-in users go to their profile)."""
    if user is not None:
        return _redirect("/account")
    return _render(request, "register.html")


@router.post("/register", response_class=HTMLResponse)
def register(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: FormText = "",
    display_name: FormText = "",
    password: FormText = "",
) -> Response:
    """Create a member account, log it in and mail the verification link.

    The account stays even if the mail cannot be sent: the profile page says so, and its
    "Send the link again" button tries again.
    """
    values = {"email": email, "display_name": display_name}
    try:
        new = accounts.register(
            session, email=email, display_name=display_name, password=password,
            mailer=make_mailer(settings), request_base=str(request.base_url), settings=settings,
        )  # fmt: skip
    except InvalidInput as exc:
        return _render(request, "register.html", 422, errors=exc.problems, values=values)
    mailed = commit_then_mail(session)
    response = _redirect("/account?saved=registered" if mailed else "/account?problem=mail")
    set_session_cookie(response, new, settings)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    user: OptionalUser,
    next_url: Annotated[str | None, Query(alias="next", max_length=500)] = None,
    saved: Saved = None,
) -> Response:
    """The log-in form; ``next`` is where to go afterwards (paths on this site only)."""
    if user is not None:
        return _redirect(safe_next(next_url))
    return _render(request, "login.html", next_url=safe_next(next_url), notice=_notice(saved))


def _checked_password(
    request: Request,
    settings: AppSettings,
    email: FormText = "",
    password: FormText = "",
) -> logins.PasswordCheck | InvalidInput | RateLimited:
    """The slow half of logging in (the password hash), as a dependency: it runs before the
    route's write session is opened, and hashes with no database connection held, so a login
    holds a connection and a write permit only for its short write. Refusals are returned for
    the route to show on the form."""
    try:
        with read_only(request) as session:
            candidate = logins.find_login(
                session, email=email, password=password, client=client_address(request),
                settings=settings,
            )  # fmt: skip
        return logins.check_password(candidate, password=password)
    except (InvalidInput, RateLimited) as exc:
        return exc


CheckedPassword = Annotated[
    logins.PasswordCheck | InvalidInput | RateLimited, Depends(_checked_password)
]


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    check: CheckedPassword,
    session: DbSession,
    settings: AppSettings,
    email: FormText = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Start a session, or re-render the form: 422 bad input, 400 wrong password, 429 limited."""
    context: dict[str, Any] = {"values": {"email": email}, "next_url": safe_next(next_url)}
    try:
        if not isinstance(check, logins.PasswordCheck):
            raise check
        new = logins.complete_login(session, check=check, settings=settings)
    except InvalidInput as exc:
        return _render(request, "login.html", 422, errors=exc.problems, **context)
    except RateLimited as exc:
        page = _render(request, "login.html", 429, errors=[Problem(str(exc))], **context)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if new is None:
        wrong = Problem("The e-mail or the password is wrong.", field="email")
        return _render(request, "login.html", 400, errors=[wrong], **context)
    response = _redirect(safe_next(next_url))
    set_session_cookie(response, new, settings)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """End the session (POST with CSRF token, so another site cannot log people out)."""
    accounts.logout(session, token=session_token(request) or "")
    response = _redirect("/")
    clear_session_cookie(response, settings)
    return response


# --- profile ------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def profile(
    request: Request,
    user: OptionalUser,
    saved: Saved = None,
    problem: Saved = None,
) -> Response:
    """The user's own account: name, role, e-mail verification, password change."""
    if user is None:
        return _redirect("/account/login?next=/account")
    return _render(
        request, "profile.html", me=user, notice=_notice(saved), errors=_problems(problem),
        roles=ROLE_LABELS,
    )  # fmt: skip


@router.post("/profile", response_class=HTMLResponse)
def update_profile(
    request: Request, session: DbSession, user: CurrentUser, display_name: FormText = ""
) -> Response:
    """Change the display name of the logged-in user (never anyone else's)."""
    try:
        accounts.update_profile(session, user_id=user.id, display_name=display_name)
    except InvalidInput as exc:
        values = {"display_name": display_name}
        return _render(
            request, "profile.html", 422, me=user, errors=exc.problems, values=values,
            roles=ROLE_LABELS,
        )  # fmt: skip
    return _redirect("/account?saved=profile")


@router.post("/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    """Change the password; this browser stays logged in, every other session ends."""
    try:
        accounts.change_password(
            session, user_id=user.id, current_password=current_password,
            new_password=new_password, keep_token=session_token(request),
        )  # fmt: skip
    except InvalidInput as exc:
        return _render(
            request, "profile.html", 422, me=user, errors=exc.problems, roles=ROLE_LABELS
        )
    return _redirect("/account?saved=password")


# --- e-mail verification ---------------------------------------------------------------------


@router.get("/verify/{token}", response_class=HTMLResponse)
def verify(request: Request, session: DbSession, user: OptionalUser, token: Token) -> Response:
    """Verify the address of the link's account (no log-in needed: the token is the proof).

    A plain link that works from any mail client, hence a GET; it redirects at once, so the
    token leaves the address bar and is never sent on as a referrer.
    """
    try:
        verified = email_verification.verify_email(session, token=token)
    except InvalidInput:
        return _render(request, "verify_invalid.html", 400)
    if user is not None and user.id == verified.id:
        return _redirect("/account?saved=verified")
    return _redirect("/account/login?saved=verified")


@router.post("/verify/resend", response_class=HTMLResponse)
def resend_verification(
    request: Request, session: DbSession, settings: AppSettings, user: CurrentUser
) -> Response:
    """Mail a new verification link (a few per window; 429 beyond)."""
    try:
        sent = email_verification.resend_verification(
            session, actor=user, mailer=make_mailer(settings),
            request_base=str(request.base_url), settings=settings,
        )  # fmt: skip
    except RateLimited as exc:
        page = _render(
            request, "profile.html", 429, me=user, errors=[Problem(str(exc))], roles=ROLE_LABELS
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if not sent:
        return _redirect("/account?saved=verified")
    mailed = commit_then_mail(session)
    return _redirect("/account?saved=verify_sent" if mailed else "/account?problem=mail")


# --- password reset -------------------------------------------------------------------------


@router.get("/password-reset", response_class=HTMLResponse)
def reset_request_form(request: Request) -> HTMLResponse:
    """Ask for a reset link."""
    return _render(request, "reset_request.html")


@router.post("/password-reset", response_class=HTMLResponse)
def reset_request(
    request: Request, session: DbSession, settings: AppSettings, email: FormText = ""
) -> HTMLResponse:
    """Send a link if the account exists; the answer is the same whether it does or not,
    except when the mail server fails (503), which the page must admit."""
    values = {"email": email}
    try:
        accounts.request_password_reset(
            session, email=email, mailer=make_mailer(settings),
            request_base=str(request.base_url), settings=settings,
        )  # fmt: skip
    except InvalidInput as exc:
        return _render(request, "reset_request.html", 422, errors=exc.problems, values=values)
    if not commit_then_mail(session):
        failed = [Problem(MAIL_FAILED)]
        return _render(request, "reset_request.html", 503, errors=failed, values=values)
    return _render(request, "reset_sent.html", minutes=settings.password_reset_minutes)


@router.get("/password-reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, session: DbSession, token: Token) -> HTMLResponse:
    """The new-password form, or why the link no longer works."""
    if not accounts.reset_token_valid(session, token=token):
        return _render(request, "reset_invalid.html", 400)
    return _render(request, "reset_form.html", token=token)


@router.post("/password-reset/{token}", response_class=HTMLResponse)
def reset(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: Token,
    password: FormText = "",
) -> Response:
    """Set the new password; all sessions of the account end, so log in again."""
    try:
        accounts.reset_password(session, token=token, new_password=password)
    except InvalidInput as exc:
        if any(p.field == "token" for p in exc.problems):
            return _render(request, "reset_invalid.html", 400)
        return _render(request, "reset_form.html", 422, token=token, errors=exc.problems)
    response = _redirect("/account/login?saved=reset")
    clear_session_cookie(response, settings)
    return response


# --- site administration -----------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request,
    session: DbSession,
    admin: SiteAdmin,
    saved: Saved = None,
) -> HTMLResponse:
    """Every account with a form to change its role (site admins)."""
    listed = accounts.list_users(session, actor=admin)
    return _render(
        request, "users.html", me=admin, users=listed, roles=ROLE_LABELS, notice=_notice(saved)
    )


@router.post("/users/{user_id}/role", response_class=HTMLResponse)
def change_role(
    request: Request,
    session: DbSession,
    admin: SiteAdmin,
    user_id: Annotated[int, Path(ge=1)],
    role: FormText = "",
) -> Response:
    """Give an account another role (site admins, not on themselves; audit-logged)."""
    try:
        accounts.set_role(session, actor=admin, user_id=user_id, role=role)
    except InvalidInput as exc:
        listed = accounts.list_users(session, actor=admin)
        return _render(
            request, "users.html", 422, me=admin, users=listed, roles=ROLE_LABELS,
            errors=exc.problems,
        )  # fmt: skip
    return _redirect("/account/users?saved=role")
