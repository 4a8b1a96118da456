"""The stable root-cause ids (docs/architecture.md): reports, JSON, rules and tests use them."""

ERROR_CAUSES: dict[str, str] = {
    "missing_authorization": "no credentials were sent at all",
    "wrong_header_name": "the token was sent in a misspelled or non-standard header",
    "bad_scheme": "the Authorization scheme is missing, misspelled, wrongly cased or not Bearer",
    "malformed_token": "the token value is damaged or not in the expected format",
    "token_expired": "the token's exp was before the request time",
    "token_not_yet_valid": "the token's nbf was after the request time",
    "clock_skew": "the client's or the server's clock is off",
    "wrong_environment": "the token comes from another environment or issuer",
    "audience_mismatch": "the token's aud does not name this API",
    "insufficient_scope": "the token lacks every scope this endpoint accepts",
    "token_revoked": "a well-formed, valid-looking token was still rejected (revoked or unknown)",
    "signature_invalid": "the signature does not verify",
    "wrong_token_type": "an ID token or refresh token was sent as an access token",
    "client_credentials_invalid": "the token endpoint rejected the client credentials",
    "refresh_token_invalid": "the token endpoint rejected the refresh token or grant",
    "invalid_scope_requested": "the token endpoint rejected the requested scope",
    "token_request_invalid": "the token request itself is malformed or uses an unsupported grant",
    "api_key_invalid": "a non-OAuth API key was rejected",
    "unknown": "the request failed on auth but the evidence does not single out a cause",
}

WARNING_CAUSES: dict[str, str] = {
    "token_expiring_soon": "the token expires within the refresh window",
    "token_reused_after_401": "a token was sent again after the API rejected it",
    "reactive_refresh": "the client refreshes only after failures",
    "refresh_storm": "many token requests in a short window",
    "secret_in_url": "a token or secret travels in the URL",
    "token_over_plaintext": "a token was sent over plain HTTP",
    "insecure_token_alg": "the token uses an insecure algorithm",
    "long_lived_token": "the token lives unusually long",
    "lenient_server": "the server accepted a request that a strict server would reject",
    "retry_loop": "the same failing request is repeated unchanged",
    "superseded_token": "an older token is used after a newer one was issued",
    "scope_narrowed": "the token endpoint granted fewer scopes than asked for",
}

ALL_CAUSES: dict[str, str] = {**ERROR_CAUSES, **WARNING_CAUSES}

# Which of two equally certain error causes to fix first: the request's form before the
# token's identity, identity before time, time before permissions; the server-side and
# undecided causes last. A staging token that also expired needs the right environment
# first: refreshing it would only bring another staging token.
PRECEDENCE: tuple[str, ...] = (
    "missing_authorization", "wrong_header_name", "bad_scheme", "malformed_token",
    "wrong_token_type", "wrong_environment", "audience_mismatch", "signature_invalid",
    "clock_skew", "token_not_yet_valid", "token_expired", "insufficient_scope",
    "token_request_invalid", "client_credentials_invalid", "refresh_token_invalid",
    "invalid_scope_requested",
    "api_key_invalid", "token_revoked", "unknown",
)  # fmt: skip
PRECEDENCE_RANK: dict[str, int] = {cause: rank for rank, cause in enumerate(PRECEDENCE)}
