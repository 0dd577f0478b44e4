#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Second, independent implementation of the key hierarchy formats,
written from Documentation/keys.rst and sharing no code with libcpns:
re-derives node keys, parses every GKDK and blob of the vectors, opens the
blobs and checks the recorded results, fingerprints and signatures; and
of the CPNS messages (Documentation/protocol.rst, msg.vec).  A port to
the kernel or another daemon should agree with it and with libcpns byte
for byte.

usage: selftests/vectors/verify.py [DIR]   (needs python3-cryptography)"""
import hashlib, hmac, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.exceptions import InvalidTag
sys.dont_write_bytecode = True  # nothing written beside the vectors
from vecfile import records  # the .vec format, not the formats checked

def depth(n): return n.bit_length() - 1

def parse_gkdk(b):
    if len(b) < 20: return 'truncated'
    if b[0] != 1: return 'version'
    if b[1] != 1: return 'scheme'
    h = b[2]
    if not 1 <= h <= 20: return 'height'
    if b[3]: return 'reserved'
    set_id, gw, slot = struct.unpack('>IQI', b[4:20])
    need = 20 + 32 * (h + 1)
    if len(b) < need: return 'truncated'
    if len(b) > need: return 'trailing'
    if slot >> h: return 'slot_range'
    keys = [b[20 + 32 * i:52 + 32 * i] for i in range(h + 1)]
    return dict(h=h, set_id=set_id, gw=gw, slot=slot, keys=keys)

def open_blob(g, b, x):
    if len(b) < 64: return 'truncated', None
    if b[0] != 1: return 'version', None
    if b[1] != 1: return 'scheme', None
    h = b[2]
    if not 1 <= h <= 20: return 'height', None
    if b[3]: return 'reserved', None
    set_id, gw, group, count, epoch, vf, vu = struct.unpack('>IQIIQQQ', b[4:48])
    if vu <= vf: return 'lifetime', None
    if count == 0 or count > min(1 << (h - 1), 65536): return 'count', None
    need = 64 + count * 64 + 60
    if len(b) < need: return 'truncated', None
    if len(b) > need: return 'trailing', None
    ids = [struct.unpack('>I', b[64 + 4 * i:68 + 4 * i])[0] for i in range(count)]
    prev = None
    for n in ids:
        if not 1 <= n < (2 << h): return 'node_range', None
        k = h - depth(n); first = (n << k) - (1 << h); last = first + (1 << k) - 1
        if prev:
            pn, pf, pl = prev
            if first < pf: return 'cover_order', None
            if first <= pl: return 'cover_overlap', None
            if pn % 2 == 0 and n == pn + 1: return 'cover_not_minimal', None
        prev = (n, first, last)
    # GKDK scheme equals the blob's: only CS exists, both parsed as 1.
    if g['gw'] != gw: return 'gkdk_gateway', None
    if g['set_id'] != set_id: return 'gkdk_keyset', None
    if g['h'] != h: return 'gkdk_height', None
    if 'expect_group' in x and group != int(x['expect_group']): return 'group', None
    if 'expect_min_epoch' in x and epoch < int(x['expect_min_epoch']): return 'stale_epoch', None
    if 'now' in x:
        now = int(x['now'])
        if now < vf: return 'not_yet_valid', None
        if now >= vu: return 'expired', None
    leaf = (1 << h) | g['slot']
    idx = None
    for i, n in enumerate(ids):
        if leaf >> (h - depth(n)) == n:
            idx = i
    if idx is None: return 'not_member', None
    n = ids[idx]
    key = g['keys'][h - depth(n)]
    wo = 64 + 4 * count
    d = hashlib.sha256(b[:wo]).digest()
    idb = struct.pack('>I', n)
    wk = hmac.new(key, b'cpns-v1 wrap' + d + idb + b'\x01', 'sha256').digest()
    w = b[wo + 60 * idx: wo + 60 * idx + 60]
    try:
        gkek = AESGCM(wk).decrypt(w[:12], w[12:], d + idb)
    except InvalidTag:
        return 'wrap_auth', None
    s = b[-60:]
    try:
        gk = AESGCM(gkek).decrypt(s[:12], s[12:], b[:-60])
    except InvalidTag:
        return 'seal_auth', None
    return 'ok', gk

def fp(label, data): return hashlib.sha256(label + data).digest()[:8]

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature

d = sys.argv[1] if len(sys.argv) > 1 else 'selftests/vectors'
n = bad = 0
for r in records(d + '/cs-sig.vec'):
    m = bytes.fromhex(r['notification'])
    if len(m) <= 64:
        res = 'truncated'
    else:
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(r['pk'])).verify(
                m[-64:], b'cpns-v1 group key notification' + m[:-64])
            res = 'ok'
        except InvalidSignature:
            res = 'signature'
    n += 1
    if res != r['result'] or (res == 'ok' and int(r['blob_len']) != len(m) - 64):
        bad += 1; print('MISMATCH', r['case'], res, r['result'])
for r in records(d + '/cs-open.vec'):
    g = parse_gkdk(bytes.fromhex(r['gkdk']))
    assert isinstance(g, dict), (r['case'], g)
    res, gk = open_blob(g, bytes.fromhex(r['blob']), r)
    good = res == r['result']
    if res == 'ok':
        good &= gk.hex() == r['gk'] and fp(b'cpns-v1 gk fingerprint', gk).hex() == r['gk_fp']
    good &= fp(b'cpns-v1 gkdk fingerprint', bytes.fromhex(r['gkdk'])).hex() == r['gkdk_fp']
    n += 1
    if not good:
        bad += 1
        print('MISMATCH', r['case'], res, r['result'])
for r in records(d + '/cs-gkdk.vec'):
    g = parse_gkdk(bytes.fromhex(r['gkdk']))
    res = 'ok' if isinstance(g, dict) else g
    n += 1
    if res != r['result']:
        bad += 1; print('MISMATCH', r['case'], res, r['result'])
for r in records(d + '/cs-kdf.vec'):
    n += 1
    if r['type'] == 'node_key':
        prk = hmac.new(b'cpns-v1 key material set', bytes.fromhex(r['master']), 'sha256').digest()
        info = b'cpns-v1 node' + struct.pack('>QIBI', int(r['gateway_id']), int(r['set_id']), int(r['height']), int(r['node']))
        k = hmac.new(prk, info + b'\x01', 'sha256').digest()
        if prk.hex() != r['prk'] or k.hex() != r['key']:
            bad += 1; print('MISMATCH', r['case'])
    else:
        if fp(b'cpns-v1 gk fingerprint', bytes.fromhex(r['gk'])).hex() != r['gk_fp']:
            bad += 1; print('MISMATCH', r['case'])

# The test randomness, from the README alone ("Test randomness"): every
# random value in the files is re-derived and compared.
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

def stream(name):
    key = hashlib.sha256(b'cpns test rng' + b'cpns-vectors/' + name.encode()).digest()
    enc = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    return lambda k: enc.update(bytes(k))

def node_key(master, h, node):
    prk = hmac.new(b'cpns-v1 key material set', master, 'sha256').digest()
    info = b'cpns-v1 node' + struct.pack('>QIBI', 0x1122334455667788, 7, h, node)
    return hmac.new(prk, info + b'\x01', 'sha256').digest()

def ranges(text):
    out = []
    for part in text.split(','):
        a, _, b = part.partition('-')
        out += range(int(a), int(b or a) + 1)
    return out

TREES = {  # case: (h, assigned, revoked, random members)
    'cs-h1-one': (1, 2, [], 0), 'cs-h1-all': (1, 2, [], 0),
    'cs-h3-mixed': (3, 8, [], 0), 'cs-h4-revoked': (4, 12, [4, 9], 0),
    'cs-h8-random': (8, 256, [], 1), 'cs-h16-small': (16, 10, [3], 0),
    'cs-h16-root': (16, 65536, [], 0), 'cs-h20-max': (20, 1048576, [], 0),
}
by_case = {}
for r in records(d + '/cs-open.vec'):
    by_case.setdefault(r['case'].split('/slot-')[0], []).append(r)
for name, (h, assigned, revoked, rnd) in TREES.items():
    draw = stream(name)
    rs = by_case[name]
    b = bytes.fromhex(rs[0]['blob'])
    c = struct.unpack('>I', b[20:24])[0]
    master = draw(32)
    good = True
    if rnd:
        live = [s for s in range(assigned) if s not in revoked]
        mem = [s for s, x in zip(live, draw(len(live))) if x % 2 == 0]
        good &= mem == ranges(rs[0]['members'])
    gk = draw(32)
    salt, gkek, nonces = draw(16), draw(32), draw(12 * (c + 1))
    wo = 64 + 4 * c
    good &= b[48:64] == salt
    good &= all(b[wo + 60 * i:wo + 60 * i + 12] == nonces[12 * i:12 * i + 12] for i in range(c))
    good &= b[-60:-48] == nonces[-12:]
    try:
        good &= AESGCM(gkek).decrypt(b[-60:-48], b[-48:], b[:-60]) == gk
    except InvalidTag:
        good = False
    for r in rs:
        g = parse_gkdk(bytes.fromhex(r['gkdk']))
        good &= bytes.fromhex(r['blob']) == b
        good &= g['keys'][0] == node_key(master, h, (1 << h) | g['slot'])
        good &= r['result'] != 'ok' or bytes.fromhex(r['gk']) == gk
    n += 1
    if not good:
        bad += 1; print('MISMATCH randomness of', name)
draw = stream('sig')
raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
sks = [Ed25519PrivateKey.from_private_bytes(draw(32)) for _ in range(2)]
sig = {r['case']: r for r in records(d + '/cs-sig.vec')}
m = bytes.fromhex(sig['sig/valid']['notification'])
good = (sks[0].public_key().public_bytes(*raw).hex() == sig['sig/valid']['pk'] and
        sks[1].public_key().public_bytes(*raw).hex() == sig['sig/other-gateway']['pk'] and
        m[:-64].hex() == by_case['cs-h3-mixed'][0]['blob'] and
        sks[0].sign(b'cpns-v1 group key notification' + m[:-64]) == m[-64:])
n += 1
if not good:
    bad += 1; print('MISMATCH randomness of sig')

# fastpath.vec: the receiver of Documentation/fastpath.rst ("Receiving"),
# holding one key, with a replay window of 64; ok records re-sealed.
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.hashes import SHA256

def traffic_key(gk, group, epoch):
    return HKDFExpand(SHA256(), 32, b'cpns-v1 traffic' + struct.pack('>IQ', group, epoch)).derive(gk)

class Receiver:
    def __init__(self, r):
        self.gk, self.group, self.epoch = bytes.fromhex(r['gk']), int(r['group']), int(r['epoch'])
        self.top, self.seen = {}, set()
    def recv(self, w):
        if (len(w) < 44 or w[0] != 1 or w[1] or w[2:4] != b'\0\0' or
                w[24:28] == bytes(4) or struct.unpack('>I', w[4:8])[0] != self.group):
            return 'rx_malformed', None
        if struct.unpack('>Q', w[8:16])[0] != self.epoch:
            return 'key_missing', None
        try:
            pt = AESGCM(traffic_key(self.gk, self.group, self.epoch)).decrypt(w[16:28], w[28:], w[:28])
        except InvalidTag:
            return 'rx_auth_failed', None
        sender, seq = struct.unpack('>QI', w[16:28])
        top = self.top.get(sender, 0)
        if seq > top:
            self.top[sender] = seq
        elif top - seq >= 64 or (sender, seq) in self.seen:
            return 'rx_replayed', None
        self.seen.add((sender, seq))
        return 'ok', pt

for r in records(d + '/fastpath.vec'):
    rx = Receiver(r)
    good = True
    if 'prior' in r:
        good &= rx.recv(bytes.fromhex(r['prior']))[0] == 'ok'
    w = bytes.fromhex(r['payload'])
    res, pt = rx.recv(w)
    good &= res == r['result']
    if res == 'ok':
        k = traffic_key(rx.gk, rx.group, rx.epoch)
        good &= pt.hex() == r.get('plaintext') and k.hex() == r.get('traffic_key')
        hdr = struct.pack('>BBHIQQI', 1, 0, 0, rx.group, rx.epoch, int(r['sender']), int(r['seq']))
        good &= hdr + AESGCM(k).encrypt(hdr[16:], pt, hdr) == w
    n += 1
    if not good:
        bad += 1; print('MISMATCH', r['case'], res, r['result'])
# ... and its randomness, as the README says it is drawn.
draw = stream('fastpath')
gka, gkb = draw(32).hex(), draw(32).hex()
skipped = good = True
for r in records(d + '/fastpath.vec'):
    good &= r['gk'] == (gkb if r['case'] == 'ok/large-fields' else gka)
    if 'plaintext' not in r:
        continue
    if 'prior' in r and skipped:
        draw(33)                # the seq-100 prior's plaintext
        skipped = False
    good &= draw(len(r['plaintext']) // 2).hex() == r['plaintext']
n += 1
if not good:
    bad += 1; print('MISMATCH randomness of fastpath')
# msg.vec: the CPNS messages of Documentation/protocol.rst, parsed from
# the document's tables; valid records re-encoded from their fields.
MSG_TYPES = ['gkdk-req', 'gkdk-resp', 'gk-notify', 'gk-resp', 'gk-bcast',
             'error', 'keepalive', 'gkdk-renew', 'gk-exclude', 'gk-pull']
# name: (number, format or (min len, max len), value check)
ATTRS = {
    'pne_id': (1, (1, 64), 'id'), 'gateway_id': (2, '>Q', None),
    'gkdk': (3, (84, 692), 'keys'), 'sign_key': (4, (32, 32), None),
    'group': (5, '>I', 'nonzero'), 'epoch': (6, '>Q', 'nonzero'),
    'group_key': (7, (32, 32), None), 'valid_from': (8, '>Q', None),
    'valid_until': (9, '>Q', None), 'status': (10, '>H', 'status'),
    'signed_blob': (11, (1, 65535), None), 'set_id': (12, '>I', None),
    'code': (13, '>H', 'status'), 'text': (14, (0, 256), 'text'),
    'slot': (15, '>I', None), 'members': (16, (0, 65535), 'members'),
}
ANAME = {v[0]: k for k, v in ATTRS.items()}
STATUS = ['ok', 'malformed', 'unexpected', 'unknown_pne', 'revoked',
          'internal', 'busy', 'stale', 'not_member', 'install', 'conflict']
# type: (required, optional)
MSGS = {
    'gkdk-req': ({'pne_id'}, set()),
    'gkdk-resp': ({'gateway_id', 'gkdk', 'sign_key'}, set()),
    'gk-notify': ({'group', 'epoch', 'group_key', 'valid_from', 'valid_until',
                   'members'}, set()),
    'gk-resp': ({'group', 'epoch', 'status'}, {'pne_id'}),
    'gk-bcast': ({'gateway_id', 'signed_blob'}, set()),
    'error': ({'code'}, {'text'}),
    'keepalive': (set(), set()),
    'gkdk-renew': ({'set_id'}, set()),
    'gk-exclude': ({'group', 'epoch'}, set()),
    'gk-pull': ({'group'}, {'epoch'}),
}
ID_CHARS = set(b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-')

def members_ok(v):
    """(u8 n, n id bytes)*, ids of 1..64 bytes, strictly ascending as
    Python orders bytes (lexicographic, a prefix first)."""
    ids, off = [], 0
    while off < len(v):
        n = v[off]
        i = v[off + 1:off + 1 + n]
        if not 1 <= n <= 64 or len(i) < n or not set(i) <= ID_CHARS:
            return False
        ids.append(i)
        off += 1 + n
    return all(a < b for a, b in zip(ids, ids[1:]))

def parse_msg(b, body_max=4096):
    """(result, attribute name, {field: value})"""
    if len(b) < 8: return 'truncated', 'none', None
    ver, typ, flags, blen = struct.unpack('>BBHI', b[:8])
    if ver != 1: return 'version', 'none', None
    if not 1 <= typ <= len(MSG_TYPES): return 'type', 'none', None
    if flags: return 'flags', 'none', None
    if blen > body_max: return 'too_big', 'none', None
    if len(b) < 8 + blen: return 'truncated', 'none', None
    if len(b) > 8 + blen: return 'trailing', 'none', None
    tname = MSG_TYPES[typ - 1]
    req, opt = MSGS[tname]
    fields, off, prev = {'type': tname}, 8, 0
    while off < len(b):
        if len(b) - off < 4: return 'attr_truncated', 'none', None
        a, alen = struct.unpack('>HH', b[off:off + 4])
        name = ANAME.get(a, 'none' if a == 0 else 'unknown')
        if name not in req | opt: return 'attr_unknown', name, None
        if a <= prev: return 'attr_order', name, None
        v = b[off + 4:off + 4 + alen]
        if len(v) < alen: return 'attr_truncated', name, None
        _, fmt, check = ATTRS[name]
        if isinstance(fmt, str):
            if alen != struct.calcsize(fmt): return 'attr_len', name, None
            v = struct.unpack(fmt, v)[0]
            if ((check == 'nonzero' and v == 0) or
                    (check == 'status' and v >= len(STATUS))):
                return 'attr_value', name, None
            if check == 'status': v = STATUS[v]
        else:
            if not fmt[0] <= alen <= fmt[1] or (check == 'keys' and (alen - 20) % 32):
                return 'attr_len', name, None
            if ((check == 'id' and not set(v) <= ID_CHARS) or
                    (check == 'text' and any(c < 0x20 or c == 0x7f for c in v)) or
                    (check == 'members' and not members_ok(v))):
                return 'attr_value', name, None
        fields[name] = v
        prev, off = a, off + 4 + alen
    for name in sorted(req - fields.keys(), key=lambda n: ATTRS[n][0]):
        return 'attr_missing', name, None
    if 'valid_from' in fields and fields['valid_until'] <= fields['valid_from']:
        return 'attr_value', 'valid_until', None
    return 'ok', 'none', fields

def encode_msg(fields):
    body = b''
    for name in sorted((k for k in fields if k in ATTRS), key=lambda n: ATTRS[n][0]):
        num, fmt, check = ATTRS[name]
        v = fields[name]
        if check == 'status': v = STATUS.index(v)
        v = struct.pack(fmt, v) if isinstance(fmt, str) else v
        body += struct.pack('>HH', num, len(v)) + v
    return struct.pack('>BBHI', 1, MSG_TYPES.index(fields['type']) + 1, 0, len(body)) + body

for r in records(d + '/msg.vec'):
    m = bytes.fromhex(r['msg'])
    res, attr, got = parse_msg(m, int(r.get('body_max', 4096)))
    good = res == r['result']
    if good and res == 'ok':
        want = {'type': r['type']}
        for k, v in r.items():
            if k in ATTRS:
                want[k] = (v if ATTRS[k][2] == 'status' else int(v)
                           if isinstance(ATTRS[k][1], str) else bytes.fromhex(v))
        good &= got == want and encode_msg(want) == m
    elif good:
        good &= attr == r['attr']
    n += 1
    if not good:
        bad += 1; print('MISMATCH', r['case'], res, attr, r['result'], r.get('attr'))
print(f'{n} records, {bad} mismatches')
sys.exit(1 if bad else 0)
