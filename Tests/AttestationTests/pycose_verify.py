#!/usr/bin/env python3
"""Checks a CCA token with pycose, an implementation that is not ours.

usage: pycose_verify.py TOKEN PLATFORM_KEY_PEM

Verifies the platform COSE_Sign1 with the platform key (PEM, public or private), the realm COSE_Sign1
with the RAK carried in claim 44237 (raw point or COSE_Key), and the binding: the platform challenge
(claim 10) equals the hash named by claim 44240 of the RAK claim's bytes.

Exit codes: 0 all checks pass; 1 a check fails; 2 the input cannot be read; 3 pycose is not installed.
"""
import hashlib
import sys

try:
    import cbor2
    from pycose.headers import Algorithm
    from pycose.keys import CoseKey, EC2Key
    from pycose.keys.curves import P256, P384, P521
    from pycose.messages import Sign1Message
except ImportError as error:
    print(f"pycose is not installed ({error}); pip install pycose", file=sys.stderr)
    sys.exit(3)

PLATFORM, REALM, EAT_CONTENT_FORMAT = 44234, 44241, 263
CURVES = {65: P256, 97: P384, 133: P521}


def signed_parts(token: bytes) -> tuple[bytes, bytes]:
    """The platform and realm COSE_Sign1 bytes of a tag-399 or tag-907 token."""
    outer = cbor2.loads(token)
    if not isinstance(outer, cbor2.CBORTag) or outer.tag not in (399, 907):
        raise ValueError(f"not a tag-399 or tag-907 token: {type(outer).__name__}")
    parts = []
    for key in (PLATFORM, REALM):
        entry = outer.value[key]
        if outer.tag == 907:
            if entry[0] != EAT_CONTENT_FORMAT:
                raise ValueError(f"entry {key} has content format {entry[0]}")
            entry = entry[1]
        parts.append(entry)
    return parts[0], parts[1]


def sign1(message: bytes) -> Sign1Message:
    """A COSE_Sign1 through pycose's own parser.

    pycose's `Sign1Message.decode` checks `isinstance(obj, list)`, but cbor2 6 decodes a tagged array as a
    tuple and a map as a frozendict, so it refuses every message; the tag is checked here and the four items
    handed to `from_cose_obj`, which is what `decode` does next. The protected header stays the bytes received.
    """
    outer = cbor2.loads(message)
    if not isinstance(outer, cbor2.CBORTag) or outer.tag != 18 or len(outer.value) != 4:
        raise ValueError("not a COSE_Sign1 tagged 18")
    items = list(outer.value)
    items[1] = dict(items[1])
    return Sign1Message.from_cose_obj(items, True)


def realm_key(claim: bytes) -> CoseKey:
    """The RAK from claim 44237: a raw point 04||X||Y or a COSE_Key."""
    if claim[:1] == b"\x04":
        size = (len(claim) - 1) // 2
        return EC2Key(crv=CURVES[len(claim)], x=claim[1:1 + size], y=claim[1 + size:])
    return CoseKey.decode(claim)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        token = open(sys.argv[1], "rb").read()
        pem = open(sys.argv[2], "rb").read()
        platform_bytes, realm_bytes = signed_parts(token)
        platform = sign1(platform_bytes)
        realm = sign1(realm_bytes)
        realm_claims = cbor2.loads(realm.payload)
        platform_claims = cbor2.loads(platform.payload)
        if b"PRIVATE KEY" in pem:
            platform.key = CoseKey.from_pem_private_key(pem.decode())
        else:
            platform.key = CoseKey.from_pem_public_key(pem.decode())
        rak_claim = realm_claims[44237]
        realm.key = realm_key(rak_claim)
    except Exception as error:  # noqa: BLE001 - any unreadable input is one answer: exit 2
        print(f"cannot read the token or key: {error!r}", file=sys.stderr)
        return 2

    failures = 0
    for name, message in (("platform", platform), ("realm", realm)):
        try:
            ok = message.verify_signature()
        except Exception:  # noqa: BLE001 - pycose raises for a key that does not fit the algorithm
            ok = False
        print(f"{name}: {message.get_attr(Algorithm).fullname} signature {'verifies' if ok else 'DOES NOT VERIFY'}")
        failures += not ok
    hash_name = realm_claims[44240].replace("-", "")
    bound = hashlib.new(hash_name, rak_claim).digest() == platform_claims[10]
    print(f"binding: platform challenge {'is' if bound else 'IS NOT'} {realm_claims[44240]} of the RAK claim bytes")
    failures += not bound
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
