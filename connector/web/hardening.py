"""Response headers every answer carries: who may frame it, what a page may load, HTTPS only.

The Zendesk sidebar is the one page another site frames: Zendesk's agent interface
(``https://*.zendesk.com``) hosts the app's iframe, and ZAF apps are served from
``https://*.zdusercontent.com``; every other page and answer may be framed by no one
(clickjacking of the dashboard's Replay and Log out buttons). The pages load their
own scripts and styles only, plus the ZAF SDK in the sidebar. HSTS is sent when the
public address (``RECOVERY_PUBLIC_BASE_URL``) is HTTPS.

A body sent chunked (no Content-Length) is cut by werkzeug at ``MAX_CONTENT_LENGTH``
without a word: the cut body then failed its signature and the sender read 401. It is
read here first, and one that reaches the limit is refused 413, as a declared one is.
"""
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request

ZENDESK_FRAME_ANCESTORS = "https://*.zendesk.com https://*.zdusercontent.com"
ZAF_SDK_ORIGIN = "https://static.zdassets.com"
SIDEBAR_PREFIX = "/zendesk/sidebar"
OAUTH_PREFIX = "/oauth/"
HSTS = "max-age=31536000; includeSubDomains"
# Zendesk serves the SDK at a URL it updates in place with every 2.0 patch ("Framework versions"),
# so a hash fixed here would stop the sidebar at Zendesk's next patch. An operator who copies a
# version of the SDK to a fixed URL pins it with RECOVERY_ZAF_SDK_URL and RECOVERY_ZAF_SDK_INTEGRITY
# (sha384-…); the script tag then carries integrity and crossorigin, and the browser refuses
# any other file.
ZAF_SDK_URL = ZAF_SDK_ORIGIN + "/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
ZAF_SDK_INTEGRITY = None


def page_policy(*, sidebar: bool, sdk_origin: str = ZAF_SDK_ORIGIN, forms_leave: bool = False) -> str:
    """``forms_leave``: a form of the page may end at another site (the install page's subdomain
    form redirects to the vendor's consent page, and browsers apply form-action to redirects)."""
    scripts = f"'self' {sdk_origin}" if sidebar else "'self'"
    ancestors = ZENDESK_FRAME_ANCESTORS if sidebar else "'none'"
    forms = "" if forms_leave else "form-action 'self'; "
    return (f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'; object-src 'none'; base-uri 'none'; {forms}frame-ancestors {ancestors}")


# Built once: every answer but the sidebar's carries one of these two policies, and the headers
# below unless its view set its own (the per-request f-strings and five look-ups in werkzeug's
# header list were a twentieth of a webhook's CPU).
_PAGE_POLICY = page_policy(sidebar=False)
_OAUTH_POLICY = page_policy(sidebar=False, forms_leave=True)
# X-Frame-Options has no allow-list: the sidebar relies on frame-ancestors alone.
_EVERY_ANSWER = (("x-content-type-options", "X-Content-Type-Options", "nosniff"),
                 ("referrer-policy", "Referrer-Policy", "same-origin"))
_NOT_FRAMED = (("x-frame-options", "X-Frame-Options", "DENY"), *_EVERY_ANSWER)
_HSTS = (("strict-transport-security", "Strict-Transport-Security", HSTS),)


def secure_headers(response: Response) -> Response:
    path, headers = request.path, response.headers
    present = {key.lower() for key in headers.keys()}  # a view's own value is kept (setdefault)
    if path.startswith(SIDEBAR_PREFIX):  # the SDK's origin follows the configured URL
        sdk = urlsplit(str(current_app.config.get("ZAF_SDK_URL") or ZAF_SDK_URL))
        headers["Content-Security-Policy"] = page_policy(sidebar=True, sdk_origin=f"{sdk.scheme}://{sdk.netloc}")
        added = _EVERY_ANSWER
    else:
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", _OAUTH_POLICY if path.startswith(OAUTH_PREFIX) else _PAGE_POLICY)
        added = _NOT_FRAMED
    if str(current_app.config.get("PUBLIC_BASE_URL") or "").lower().startswith("https://"):
        added += _HSTS
    for lower, name, value in added:
        if lower not in present:
            headers.add(name, value)
    return response


def bounded_chunked_body() -> None:
    # A declared length first: werkzeug keeps it for the body's read, and a webhook declares one.
    if request.content_length is not None or "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    limit = request.max_content_length
    if limit is None:
        return
    # Cached for the view; werkzeug stops at the limit, so a body that fills it went past it.
    if len(request.get_data(cache=True)) >= limit:
        abort(413, description=f"body larger than {limit - 1} bytes")


def _zaf_sdk() -> dict:
    """The ZAF SDK's script tag: Zendesk's URL, and its integrity hash when the operator pins one."""
    config = current_app.config
    return {"zaf_sdk_url": config.get("ZAF_SDK_URL") or ZAF_SDK_URL,
            "zaf_sdk_integrity": config.get("ZAF_SDK_INTEGRITY") or ZAF_SDK_INTEGRITY}


def install(app: Flask) -> None:
    app.before_request(bounded_chunked_body)
    app.after_request(secure_headers)
    app.context_processor(_zaf_sdk)
