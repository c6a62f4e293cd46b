"""Verifies a release artifact and takes the binary out of it, for packaging/action/install.

    python3 verify.py PUBLIC_KEY SHA256SUMS SHA256SUMS.minisig ARTIFACT MEMBER OUTPUT

checks, in this order, that SHA256SUMS.minisig is a minisign signature of SHA256SUMS by the key in
PUBLIC_KEY (the signature and its trusted comment), that SHA256SUMS lists ARTIFACT's name with
ARTIFACT's SHA-256, and only then writes the archive member MEMBER (a .tar.gz's or a .zip's) to
OUTPUT, executable. A failed check prints one line to stderr and exits 1; nothing is written.

minisign's Ed25519 is verified here, in the standard library's Python, rather than by a minisign
binary: Python 3 is on every runner GitHub hosts (Linux, macOS, Windows), minisign is on none of
them, and a verifier downloaded for the purpose would itself need verifying. The curve arithmetic
is RFC 8032's (section 5.1.7, verification), which hashlib's SHA-512 and BLAKE2b complete.
"""

import base64
import hashlib
import io
import os
import sys
import tarfile
import zipfile

# Ed25519 (RFC 8032 section 5.1): the field prime, the group order, the curve constant d, sqrt(-1)
# and the base point, in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
BASE_Y = 4 * pow(5, P - 2, P) % P

# minisign's formats: a public key is "Ed" + key id + key; a signature "ED" (Ed25519 over the
# file's BLAKE2b-512) + key id + signature. The legacy "Ed" signatures over the whole file are
# refused: releases are signed with minisign's default, "ED".
KEY_ALGORITHM = b"Ed"
SIGNATURE_ALGORITHM = b"ED"
TRUSTED_PREFIX = "trusted comment: "


class Refused(Exception):
    """A check failed; the message is the line the user sees."""


def point_add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = b - a, dd - c, dd + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def point_mul(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        scalar >>= 1
    return result


def point_equal(p, q):
    x1, y1, z1, _ = p
    x2, y2, z2, _ = q
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decode_point(data):
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


BASE = (recover_x(BASE_Y, 0), BASE_Y, 1, recover_x(BASE_Y, 0) * BASE_Y % P)


def ed25519_verify(public, message, signature):
    """RFC 8032's verification: [S]B = R + [SHA-512(R || A || M)]A."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a = decode_point(public)
    r = decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return point_equal(point_mul(s, BASE), point_add(r, point_mul(h, a)))


def base64_line(text, what):
    try:
        return base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise Refused(f"{what} is not base64") from None


def read_public_key(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    if len(lines) < 2:
        raise Refused(f"{path} is not a minisign public key")
    key = base64_line(lines[1], f"{path}'s key")
    if len(key) != 42 or key[:2] != KEY_ALGORITHM:
        raise Refused(f"{path} is not a minisign Ed25519 public key")
    return key[2:10], key[10:]


def check_signature(public_key_path, sums_path, signature_path):
    """Checks the signature of SHA256SUMS and its trusted comment; returns the trusted comment."""
    key_id, public = read_public_key(public_key_path)
    lines = open(signature_path, encoding="utf-8").read().splitlines()
    if len(lines) < 4 or not lines[2].startswith(TRUSTED_PREFIX):
        raise Refused(f"{signature_path} is not a minisign signature")
    blob = base64_line(lines[1], f"{signature_path}'s signature")
    if len(blob) != 74:
        raise Refused(f"{signature_path} is not a minisign signature")
    algorithm, signed_by, signature = blob[:2], blob[2:10], blob[10:]
    if algorithm != SIGNATURE_ALGORITHM:
        raise Refused(f"{signature_path} uses minisign's algorithm {algorithm!r}, not the release's {SIGNATURE_ALGORITHM!r}")
    if signed_by != key_id:
        raise Refused(
            f"SHA256SUMS is signed by key {signed_by[::-1].hex().upper()}, not by the release key {key_id[::-1].hex().upper()}"
        )
    digest = hashlib.blake2b(open(sums_path, "rb").read(), digest_size=64).digest()
    if not ed25519_verify(public, digest, signature):
        raise Refused("the signature of SHA256SUMS does not match it: the checksums were changed after signing")
    trusted = lines[2][len(TRUSTED_PREFIX):]
    global_signature = base64_line(lines[3], f"{signature_path}'s trusted comment signature")
    if not ed25519_verify(public, signature + trusted.encode("utf-8"), global_signature):
        raise Refused("the trusted comment of SHA256SUMS.minisig does not match its signature")
    return trusted


def check_hash(sums_path, artifact_path):
    name = os.path.basename(artifact_path)
    listed = None
    for line in open(sums_path, encoding="utf-8").read().splitlines():
        digest, _, listed_name = line.partition("  ")
        if listed_name.lstrip("*") == name:
            listed = digest.lower()
    if listed is None:
        raise Refused(f"SHA256SUMS does not list {name}")
    sha = hashlib.sha256()
    with open(artifact_path, "rb") as artifact:
        for chunk in iter(lambda: artifact.read(1 << 20), b""):
            sha.update(chunk)
    if sha.hexdigest() != listed:
        raise Refused(f"{name} does not match SHA256SUMS: its SHA-256 is {sha.hexdigest()}, the signed list says {listed}")
    return listed


def member_bytes(artifact_path, member):
    if artifact_path.endswith(".zip"):
        with zipfile.ZipFile(artifact_path) as archive:
            try:
                return archive.read(member)
            except KeyError:
                raise Refused(f"{os.path.basename(artifact_path)} holds no {member}") from None
    with tarfile.open(artifact_path, "r:gz") as archive:
        try:
            entry = archive.getmember(member)
        except KeyError:
            raise Refused(f"{os.path.basename(artifact_path)} holds no {member}") from None
        source = archive.extractfile(entry)
        if source is None:
            raise Refused(f"{member} in {os.path.basename(artifact_path)} is not a file")
        return source.read()


def main(argv):
    if len(argv) != 6:
        raise Refused("usage: verify.py PUBLIC_KEY SHA256SUMS SHA256SUMS.minisig ARTIFACT MEMBER OUTPUT")
    public_key, sums, signature, artifact, member, output = argv
    trusted = check_signature(public_key, sums, signature)
    print(f"verified: SHA256SUMS is signed by the release key ({trusted})")
    digest = check_hash(sums, artifact)
    print(f"verified: {os.path.basename(artifact)} has the SHA-256 SHA256SUMS lists ({digest})")
    data = member_bytes(artifact, member)
    partial = output + ".partial"
    with open(partial, "wb") as out:
        out.write(data)
    os.chmod(partial, 0o755)
    os.replace(partial, output)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Refused as refused:
        print(refused, file=sys.stderr)
        sys.exit(1)
    except OSError as error:
        print(f"{error.filename or 'a file'}: {error.strerror}", file=sys.stderr)
        sys.exit(1)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as error:
        print(f"the artifact is not a readable archive: {error}", file=sys.stderr)
        sys.exit(1)
