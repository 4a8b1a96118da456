"""The text of a short text/plain error body, such as Envoy's "Jwt is expired".

Proxies and gateways (Envoy's jwt_authn and RBAC filters, Istio) answer 401/403 with a
one-line text/plain body and no JSON. Only its start is read: the documented messages are
short, and an error body is no place to copy whole pages from. Nothing here raises.
"""

MAX_PLAIN = 300  # bytes read; the longest Envoy status string is under 80 characters


def plain_text_error(content: bytes | None, content_type: str | None) -> str | None:
    """The first MAX_PLAIN bytes of a text/plain body, whitespace collapsed; else None.

    Other media types (HTML pages, JSON, binaries) and bodies with NUL bytes give None.
    """
    if not content or not isinstance(content_type, str):
        return None
    if content_type.partition(";")[0].strip().lower() != "text/plain":
        return None
    head = content[:MAX_PLAIN]
    if b"\x00" in head:
        return None
    text = " ".join(head.decode("utf-8", errors="replace").split())
    return text or None
