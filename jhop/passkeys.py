"""WebAuthn passkeys as a second factor (py_webauthn): the options a browser needs to make
or use one, and the checks of what it sends back. The views are in jhop/twofactor.py.

The relying party is the host the admin is served on (ALLOWED_HOSTS vouches for it), so
a passkey made on one host name does not work on another.
"""

import json

from django.db import transaction
from django.http.request import split_domain_port
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from jhop.models import Passkey

RP_NAME = "JHOP admin"
REGISTRATION_CHALLENGE = "jhop_passkey_registration"
AUTHENTICATION_CHALLENGE = "jhop_passkey_authentication"


class PasskeyError(Exception):
    """What the browser sent is not a passkey answer this server asked for."""


def _rp_id(request) -> str:
    return split_domain_port(request.get_host())[0]


def _origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _descriptors(user) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))
        for credential_id in Passkey.objects.filter(user=user, confirmed=True).values_list(
            "credential_id", flat=True
        )
    ]


def registration_options(request) -> dict:
    """Options for navigator.credentials.create(); the challenge waits in the session."""
    user = request.user
    options = generate_registration_options(
        rp_id=_rp_id(request),
        rp_name=RP_NAME,
        user_id=f"jhop-user-{user.pk}".encode(),
        user_name=user.get_username(),
        user_display_name=user.get_full_name() or user.get_username(),
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[REGISTRATION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return json.loads(options_to_json(options))


def authentication_options(request) -> dict | None:
    """Options for navigator.credentials.get(), or None when the user has no passkey."""
    allowed = _descriptors(request.user)
    if not allowed:
        return None
    options = generate_authentication_options(
        rp_id=_rp_id(request),
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[AUTHENTICATION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return json.loads(options_to_json(options))


def _challenge(request, key: str) -> bytes:
    challenge = request.session.pop(key, None)  # one answer per challenge
    if not challenge:
        raise PasskeyError("The passkey request has expired: try again.")
    return base64url_to_bytes(challenge)


def register(request, *, name: str, credential: str) -> Passkey:
    """Check a new credential against the challenge this session was given, and keep it."""
    challenge = _challenge(request, REGISTRATION_CHALLENGE)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(request),
            expected_origin=_origin(request),
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyError("The browser's answer was not a valid new passkey.") from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise PasskeyError("This passkey is already registered.")
    return Passkey.objects.create(
        user=request.user,
        name=name,
        confirmed=True,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authenticate(request, *, credential: str) -> Passkey:
    """The user's passkey that signed this session's challenge; its counter moves on."""
    challenge = _challenge(request, AUTHENTICATION_CHALLENGE)
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyError("The browser's answer was not a passkey signature.") from exc
    with transaction.atomic():
        passkey = (
            Passkey.objects.select_for_update()
            .filter(
                user=request.user,
                confirmed=True,
                credential_id=bytes_to_base64url(parsed.raw_id),
            )
            .first()
        )
        if passkey is None:
            raise PasskeyError("That passkey is not one of yours here.")
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=_rp_id(request),
                expected_origin=_origin(request),
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
            )
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise PasskeyError("The passkey's signature did not check out.") from exc
        passkey.sign_count = verified.new_sign_count
        passkey.set_last_used_timestamp(commit=False)
        passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey
