#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Wireshark dissector (userspace/wireshark/cpns.lua) under tshark.
#
#   check-dissector.sh          the vectors' part: pcaps built here from
#                               selftests/vectors (msg.vec, cs-open.vec,
#                               fastpath.vec) and mutations of them
#   check-dissector.sh DIR      that, and the VM's captures in DIR
#                               (selftests/cpns/dissector_capture.sh,
#                               extracted by selftests/wireshark/extract.py)
#   check-dissector.sh --captures DIR
#                               the captures' part alone (make check runs
#                               the vectors' part in its host stage)
#
# Every tshark run must exit 0 with nothing on stderr and no Lua error
# and no cpns.bug item in its output; expected values come from the
# vectors, or from what the VM test recorded (DIR/facts, the server's
# database DIR/server.db, the key log DIR/keylog), never from the
# dissector itself.  Needs tshark (4.0) and python3-cryptography.
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib/common.sh
vectors=1
if [ "${1:-}" = --captures ]; then
	vectors=
	shift
fi
DIR=${1:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "$_tap_out"' EXIT
export WORK DIR CPNS_LUA=$PWD/userspace/wireshark/cpns.lua VEC=$PWD/selftests/vectors

cat >"$WORK/check.py" <<'EOF'
import hashlib, os, random, sqlite3, struct, subprocess, sys
import xml.etree.ElementTree as ET

LUA, WORK, VEC, DIR = (os.environ['CPNS_LUA'], os.environ['WORK'],
                       os.environ['VEC'], os.environ.get('DIR'))
sys.dont_write_bytecode = True  # nothing written beside the vectors
sys.path.insert(0, VEC)
import vecfile  # noqa: E402
MSG_TYPES = ['gkdk-req', 'gkdk-resp', 'gk-notify', 'gk-resp', 'gk-bcast',
             'error', 'keepalive', 'gkdk-renew', 'gk-exclude', 'gk-pull']
STATUS = ['ok', 'malformed', 'unexpected', 'unknown_pne', 'revoked',
          'internal', 'busy', 'stale', 'not_member', 'install', 'conflict']
INTS = ['gateway_id', 'group', 'epoch', 'valid_from', 'valid_until',
        'set_id', 'slot']
BYTES = ['pne_id', 'gkdk', 'sign_key', 'group_key', 'signed_blob', 'text',
         'members']
ATTR_FIELDS = INTS + BYTES + ['status', 'code']
BLOB_REFUSALS = {'truncated', 'trailing', 'version', 'scheme', 'height',
                 'reserved', 'lifetime', 'count', 'node_range', 'cover_order',
                 'cover_overlap', 'cover_not_minimal'}


class Fail(Exception):
    pass


def want(cond, what):
    if not cond:
        raise Fail(what)


def records(name):
    return vecfile.records(os.path.join(VEC, name))


# --- pcaps, written by hand: Ethernet, IPv4, UDP or TCP -------------------
def csum(b):
    b += b'\0' * (len(b) % 2)
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, proto, 0, bytes(src), bytes(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload


def eth(ip):
    return b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00' + ip


A, B = [10, 0, 0, 1], [10, 0, 0, 2]


def udp(payload, dport, sport=40000):
    return eth(ipv4(A, B, 17, struct.pack('!HHHH', sport, dport,
                                          8 + len(payload), 0) + payload))


def tcp_stream(segments, port=4433):
    """A handshake, then the server's segments, in order."""
    fr = [eth(ipv4(A, B, 6, struct.pack('!HHIIBBHHH', 40000, port, 1000, 0,
                                        0x50, 0x02, 65535, 0, 0))),
          eth(ipv4(B, A, 6, struct.pack('!HHIIBBHHH', port, 40000, 5000,
                                        1001, 0x50, 0x12, 65535, 0, 0)))]
    seq = 5001
    for s in segments:
        fr.append(eth(ipv4(B, A, 6, struct.pack(
            '!HHIIBBHHH', port, 40000, seq, 1001, 0x50, 0x18, 65535, 0, 0) + s)))
        seq += len(s)
    return fr


def write_pcap(name, frames):
    path = os.path.join(WORK, name)
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1767225600 + i, 0, len(fr), len(fr)))
            f.write(fr)
    return path


# --- tshark ----------------------------------------------------------------
def run_tshark(pcap, opts=(), extra=(), fmt='pdml'):
    args = ['tshark', '-n', '-X', 'lua_script:' + LUA, '-r', pcap]
    for o in opts:
        args += ['-o', o]
    args += list(extra) + (['-T', 'pdml'] if fmt == 'pdml' else ['-V'])
    p = subprocess.run(args, capture_output=True)
    err = [l for l in p.stderr.decode(errors='replace').splitlines()
           if l.strip() and 'Running as user' not in l]
    want(p.returncode == 0 and not err,
         'tshark failed (status %d): %s' % (p.returncode, '\n'.join(err)))
    out = p.stdout.decode('utf-8', errors='replace')
    want(out.strip(), 'tshark printed nothing for ' + pcap)
    for bad in ('Lua Error', '_ws.lua.error', 'cpns.bug', 'cpnsfp.bug',
                'CPNS dissector failed'):
        want(bad not in out, '%s in the output for %s' % (bad, pcap))
    return out


_cache = {}


def packets(pcap, opts=(), extra=()):
    """[(frame number, root element)] of tshark's PDML."""
    key = (pcap, tuple(opts), tuple(extra))
    if key not in _cache:
        root = ET.fromstring(run_tshark(pcap, opts, extra))
        res = []
        for p in root.iter('packet'):
            num = int(p.find(".//field[@name='frame.number']").get('show'))
            res.append((num, p))
        _cache[key] = res
    return _cache[key]


class Msg:
    """One <proto name="cpns"> (or cpnsfp): its fields in document order."""

    def __init__(self, el, frame):
        self.frame, self.f = frame, {}
        for x in el.iter('field'):
            self.f.setdefault(x.get('name'), []).append(
                (x.get('show'), x.get('value')))

    def shows(self, name):
        return [s for s, _ in self.f.get(name, [])]

    def values(self, name):
        return [v or '' for _, v in self.f.get(name, [])]

    def one(self, name):
        s = self.shows(name)
        return s[0] if len(s) == 1 else None

    def has(self, name):
        return name in self.f

    def __repr__(self):
        return 'frame %d %s' % (self.frame, sorted(self.f))


def msgs(pcap, proto='cpns', opts=(), extra=()):
    """Per frame number, its messages of proto, in order."""
    out = {}
    for num, p in packets(pcap, opts, extra):
        out[num] = [Msg(el, num) for el in p.iter('proto')
                    if el.get('name') == proto]
    return out


def typename(m):
    t = m.one('cpns.type')
    return MSG_TYPES[int(t) - 1] if t and 1 <= int(t) <= 10 else None


def attr_of(m, name):
    """What the dissector shows for an attribute: decimal, status name or
    hex of the raw bytes."""
    f = 'cpns.' + name
    if not m.has(f):
        return None
    if name in ('status', 'code'):
        return STATUS[int(m.one(f))]
    if name in INTS:
        return m.one(f)
    return m.values(f)[0] or ''


def compare_msg(m, rec, case):
    want(typename(m) == rec['type'], '%s: type %s' % (case, typename(m)))
    for name in ATTR_FIELDS:
        got = attr_of(m, name)
        want(got == rec.get(name), '%s: %s is %r, want %r' % (
            case, name, got, rec.get(name)))
    if 'members' in rec:
        ids = b''.join(bytes([len(bytes.fromhex(v))]) + bytes.fromhex(v)
                       for v in m.values('cpns.member'))
        want(ids.hex() == rec['members'], '%s: member ids %s' % (case, ids.hex()))
    want(not m.has('cpns.refusal') and not m.has('cpns.malformed'),
         '%s: refused: %s' % (case, m.shows('cpns.refusal')))


# --- the vectors' part ---------------------------------------------------------
def msg_records(ok):
    return [r for r in records('msg.vec') if (r['result'] == 'ok') == ok]


def vec_msg_ok():
    recs = [r for r in msg_records(True) if len(r['msg']) // 2 < 65000]
    pcap = write_pcap('msg-ok.pcap', [udp(bytes.fromhex(r['msg']), 5333)
                                      for r in recs])
    got = msgs(pcap)
    for i, r in enumerate(recs):
        want(len(got[i + 1]) == 1, '%s: %d messages' % (r['case'], len(got[i + 1])))
        compare_msg(got[i + 1][0], r, r['case'])
    types = {r['type'] for r in recs}
    want(len(types) == 10, 'only the types %s' % types)
    print('%d messages, every type, every field as msg.vec says' % len(recs))


def limit_dependent(r):
    """A refusal that depends on the receiver's limit: the dissector takes
    up to CPNS_MSG_BODY_MAX_LARGE, the record may say less."""
    m = bytes.fromhex(r['msg'])
    if len(m) < 8:
        return False
    ver, typ, flags, blen = struct.unpack('>BBHI', m[:8])
    return (ver == 1 and 1 <= typ <= 10 and flags == 0 and
            int(r.get('body_max', 4096)) < blen <= 66560)


def vec_msg_refused():
    recs = [r for r in msg_records(False) if r['msg'] and not limit_dependent(r)]
    pcap = write_pcap('msg-bad.pcap', [udp(bytes.fromhex(r['msg']), 5333)
                                       for r in recs])
    got = msgs(pcap)
    for i, r in enumerate(recs):
        m = got[i + 1]
        want(len(m) == 1, '%s: %d messages' % (r['case'], len(m)))
        m = m[0]
        res = (m.one('cpns.refusal'), m.one('cpns.refusal_attr'))
        want(res == (r['result'], r['attr']), '%s: refused as %s, want %s' % (
            r['case'], res, (r['result'], r['attr'])))
        want(m.has('cpns.malformed'), '%s: no malformed expert' % r['case'])
    print('%d refusals named as msg.vec names them (%d depend on the '
          'receiver\'s limit or are empty: not compared)' % (
              len(recs), len(msg_records(False)) - len(recs)))
    want(len(recs) >= 100, 'too few records compared')


def vec_msg_stream():
    """Every ok message back to back on one TCP stream (Decode As CPNS),
    cut into segments of varied sizes: reassembled and split back."""
    recs = msg_records(True)
    stream = b''.join(bytes.fromhex(r['msg']) for r in recs)
    sizes, segs, off = [1, 7, 8, 9, 3, 100, 1460, 2, 517], [], 0
    while off < len(stream):
        n = sizes[len(segs) % len(sizes)]
        segs.append(stream[off:off + n])
        off += n
    pcap = write_pcap('msg-stream.pcap', tcp_stream(segs))
    got = [m for _, ms in sorted(msgs(pcap, extra=['-d', 'tcp.port==4433,cpns']).items())
           for m in ms]
    want([typename(m) for m in got] == [r['type'] for r in recs],
         'messages %s' % [typename(m) for m in got])
    for m, r in zip(got, recs):
        compare_msg(m, r, r['case'] + ' (stream)')
    frames = {m.frame for m in got}
    print('%d messages in %d segments, shown in %d frames' % (
        len(got), len(segs), len(frames)))


def vec_stream_bad_header():
    """A bad header mid-stream: refused at once, not waited for."""
    ok = bytes.fromhex(next(msg_records(True).__iter__())['msg'])
    bad = bytes.fromhex('0201000000000000')
    pcap = write_pcap('stream-bad.pcap', tcp_stream([ok + ok[:3], ok[3:] + bad + ok]))
    got = [m for _, ms in sorted(msgs(pcap, extra=['-d', 'tcp.port==4433,cpns']).items())
           for m in ms]
    want([m.one('cpns.refusal') for m in got] == [None, None, 'version'],
         'refusals %s' % [m.shows('cpns.refusal') for m in got])
    want(got[2].has('cpns.malformed'), 'no malformed expert')


def tls_session(writes):
    """A TLS 1.3 session between two memory BIOs (Python's ssl), its key
    log, and a pcap of it: writes is [(from_client, [bytes, ...])], each
    list of writes flushed together, the bytes then cut into TCP segments
    of at most 1400 bytes."""
    import datetime, ssl
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'cpns-test')])
    t = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(t).not_valid_after(t + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cf, kf = os.path.join(WORK, 'c.pem'), os.path.join(WORK, 'k.pem')
    open(cf, 'wb').write(cert.public_bytes(serialization.Encoding.PEM))
    open(kf, 'wb').write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = ssl.TLSVersion.TLSv1_3
    sctx.load_cert_chain(cf, kf)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname, cctx.verify_mode = False, ssl.CERT_NONE
    keylog = os.path.join(WORK, 'tls.keylog')
    cctx.keylog_filename = keylog
    ci, co, si, so = (ssl.MemoryBIO() for _ in range(4))
    cl, sv = cctx.wrap_bio(ci, co), sctx.wrap_bio(si, so, server_side=True)
    flights = []

    def pump():
        for src, dst, fromc in ((co, si, True), (so, ci, False)):
            d = src.read()
            if d:
                flights.append((fromc, d))
                dst.write(d)
    for _ in range(8):
        for end in (cl, sv):
            try:
                end.do_handshake()
            except ssl.SSLWantReadError:
                pass
        pump()
    for fromc, ws in writes:
        for w in ws:
            (cl if fromc else sv).write(w)
        pump()
    fr = tcp_stream([])[:2]
    seq = {True: 1001, False: 5001}
    for fromc, d in flights:
        for off in range(0, len(d), 1400):
            seg = d[off:off + 1400]
            sp, dp = (40000, 4433) if fromc else (4433, 40000)
            fr.append(eth(ipv4(A if fromc else B, B if fromc else A, 6, struct.pack(
                '!HHIIBBHHH', sp, dp, seq[fromc], seq[not fromc], 0x50, 0x18,
                65535, 0, 0) + seg)))
            seq[fromc] += len(seg)
    return write_pcap('tls.pcap', fr), keylog


def fields(pcap, opts, names):
    args = ['tshark', '-n', '-X', 'lua_script:' + LUA, '-r', pcap, '-T', 'fields',
            '-E', 'separator=/t']
    for o in opts:
        args += ['-o', o]
    for n in names:
        args += ['-e', n]
    p = subprocess.run(args, capture_output=True, text=True)
    want(p.returncode == 0, 'tshark -T fields failed: ' + p.stderr)
    return [l.split('\t') for l in p.stdout.splitlines()]


def vec_tls():
    """msg.vec's messages in a TLS 1.3 session, decrypted with its key
    log: packed in records, split across them, several records in one
    TCP segment, records across segments, 64 KiB over several records."""
    recs = msg_records(True)
    ms = [bytes.fromhex(r['msg']) for r in recs]
    req = [m for m, r in zip(ms, recs) if r['type'] == 'gkdk-req']
    writes = [(True, [b''.join(req)])]            # packed, from the client
    server = [(m, r) for m, r in zip(ms, recs) if r['type'] != 'gkdk-req']
    for i in range(0, len(server), 3):            # 3 records a flush
        writes.append((False, [m for m, _ in server[i:i + 3]]))
    m0 = server[0][0]
    writes.append((False, [m0[:3], m0[3:11], m0[11:]]))   # one across three
    pcap, keylog = tls_session(writes)
    opts = ['tls.keylog_file:' + keylog, 'cpns.tls_ports:4433']
    got = {True: [], False: []}
    for num, p in packets(pcap, opts):
        sport = p.find(".//field[@name='tcp.srcport']")
        for el in p.iter('proto'):
            if el.get('name') == 'cpns':
                got[sport.get('show') == '40000'].append(Msg(el, num))
    want([typename(m) for m in got[True]] == ['gkdk-req'] * len(req), 'client side')
    exp = [r for _, r in server] + [server[0][1]]
    want([typename(m) for m in got[False]] == [r['type'] for r in exp],
         'server side: %s' % [typename(m) for m in got[False]])
    for m, r in zip(got[False], exp):
        compare_msg(m, r, r['case'] + ' (TLS)')
    # Info lists a frame's messages, in order, and nothing of TLS's.
    n = 0
    for num, types, info in fields(pcap, opts, ['frame.number', 'cpns.type', '_ws.col.Info']):
        if not types:
            continue
        shown = [x.split(' ')[0] for x in info.split(', ')]
        want(shown == [MSG_TYPES[int(t) - 1] for t in types.split(',')],
             'frame %s: Info %r' % (num, info))
        n += len(shown) > 1
    want(n >= 3, 'only %d frames with several messages' % n)
    print('%d messages from the client, %d from the server in %d frames, '
          '%d frames with several' % (len(got[True]), len(got[False]),
                                      len({m.frame for m in got[False]}), n))


def vec_blobs():
    """cs-open.vec's blobs as gk-bcast messages: the fields, and the
    refusals that need no key, named as cpns_gk_parse() names them."""
    recs = [r for r in records('cs-open.vec') if len(r['blob']) // 2 + 64 <= 65535]
    # One more, made here: cs-h3-mixed's cover 2, 13, 14 with 13 made 11
    # (slot 3), which starts on the last slot of node 2 (slots 0-3).
    r = dict(next(r for r in recs if r['case'] == 'tamper/overlap'))
    b = bytearray.fromhex(r['blob'])
    b[71] = 11
    r.update(case='overlap on the last slot (made here)', blob=b.hex(),
             result='cover_overlap')
    recs.append(r)
    frames = []
    for r in recs:
        blob = bytes.fromhex(r['blob'])
        sb = blob + bytes(64)
        body = struct.pack('>HHQ', 2, 8, 0x1122334455667788) + \
            struct.pack('>HH', 11, len(sb)) + sb
        frames.append(udp(struct.pack('>BBHI', 1, 5, 0, len(body)) + body, 5333))
    got = msgs(write_pcap('blobs.pcap', frames))
    n_ok = 0
    for i, r in enumerate(recs):
        m = got[i + 1][0]
        case, blob = r['case'], bytes.fromhex(r['blob'])
        exp = r['result'] if r['result'] in BLOB_REFUSALS else None
        want(m.one('cpns.blob.refusal') == exp, '%s: blob refusal %s, want %s' % (
            case, m.shows('cpns.blob.refusal'), exp))
        want(m.has('cpns.blob.malformed') == bool(exp), case + ': expert')
        want(not m.has('cpns.refusal'), case + ': message refused')
        if r['result'] != 'ok':
            continue
        n_ok += 1
        cover = [int(x) for x in r['cover'].split(',')]
        c = len(cover)
        got_f = {k: m.shows('cpns.blob.' + k) for k in (
            'version', 'scheme', 'height', 'reserved', 'set_id', 'gateway_id',
            'group', 'cover_count', 'epoch', 'valid_from', 'valid_until',
            'cover_node')}
        exp_f = {'version': ['1'], 'scheme': ['1'], 'height': [r['height']],
                 'reserved': ['0'], 'set_id': ['7'],
                 'gateway_id': [str(0x1122334455667788)], 'group': ['66'],
                 'cover_count': [str(c)], 'epoch': ['5'],
                 'valid_from': ['1767225600'], 'valid_until': ['1767312000'],
                 'cover_node': [str(x) for x in cover]}
        want(got_f == exp_f, '%s: blob fields %s' % (case, got_f))
        want(m.values('cpns.blob.salt') == [blob[48:64].hex()], case + ': salt')
        wraps = [blob[64 + 4 * c + 60 * j:64 + 4 * c + 60 * (j + 1)].hex()
                 for j in range(c)]
        want(m.values('cpns.blob.wrap') == wraps, case + ': wraps')
        seal = blob[-60:]
        want(m.values('cpns.blob.seal') == [seal.hex()], case + ': seal')
        want(m.values('cpns.blob.nonce')[-1] == seal[:12].hex() and
             m.values('cpns.blob.ciphertext')[-1] == seal[12:44].hex() and
             m.values('cpns.blob.tag')[-1] == seal[44:].hex(), case + ': seal parts')
        want(m.values('cpns.signature') == ['00' * 64], case + ': signature')
    print('%d blobs: %d fully decoded, the others refused as recorded or '
          'left to the key holder' % (len(recs), n_ok))


def fp_keys():
    ka = next(records('fastpath.vec'))['gk']
    kb = [r for r in records('fastpath.vec') if r['case'] == 'ok/large-fields'][0]['gk']
    return ka, kb, 'cpnsfp.keys:1:1:%s,4000000000:1099511627783:%s' % (ka, kb)


def fp_pcap():
    return write_pcap('fp.pcap', [udp(bytes.fromhex(r['payload']), 5066)
                                  for r in records('fastpath.vec')])


def vec_fastpath():
    """fastpath.vec's payloads on UDP 5066, found by the heuristic."""
    recs = list(records('fastpath.vec'))
    pcap = fp_pcap()
    got = msgs(pcap, 'cpnsfp', opts=[fp_keys()[2]])
    plain = {r['payload']: r['plaintext'] for r in recs if r['result'] == 'ok'}
    counts = {}
    for i, r in enumerate(recs):
        case, res, ms = r['case'], r['result'], got[i + 1]
        p = bytes.fromhex(r['payload'])
        shaped = (len(p) >= 44 and p[0] == 1 and p[1:4] == b'\0\0\0' and
                  p[4:8] != b'\0' * 4 and p[24:28] != b'\0' * 4)
        if not shaped:
            want(not ms, case + ': the heuristic took a malformed datagram')
            kind = 'left alone'
        else:
            want(len(ms) == 1, case + ': not taken by the heuristic')
            m = ms[0]
            hdr = struct.unpack('>BBHIQQI', p[:28])
            want([m.one('cpnsfp.' + k) for k in ('version', 'group', 'epoch', 'seq')] ==
                 [str(hdr[0]), str(hdr[3]), str(hdr[4]), str(hdr[6])], case + ': header')
            want(m.one('cpnsfp.sender') == '0x%016x' % hdr[5], case + ': sender')
            want(m.values('cpnsfp.tag') == [p[-16:].hex()], case + ': tag')
            opened = m.has('cpnsfp.key_source')
            if res == 'ok' or res == 'rx_replayed' or case.startswith('replay/'):
                want(opened, case + ': not opened')
                # A replayed copy of ok/odd has no plaintext of its own.
                pt = r.get('plaintext', plain.get(r['payload']))
                want((m.values('cpnsfp.plaintext') or [''])[0] == pt,
                     case + ': plaintext')
                kind = 'opened'
            elif res == 'key_missing' or case in ('malformed/other-group',
                                                   'order/group+epoch'):
                want(not opened and m.has('cpnsfp.no_key'), case + ': no key?')
                kind = 'no key'
            elif res == 'rx_auth_failed':
                want(not opened and m.has('cpnsfp.auth_failed'), case + ': auth')
                kind = 'tag refused'
            else:
                raise Fail('%s: %s, not foreseen' % (case, res))
        counts[kind] = counts.get(kind, 0) + 1
    print(', '.join('%d %s' % (v, k) for k, v in sorted(counts.items())))
    want(counts.get('opened', 0) >= 8 and counts.get('left alone', 0) >= 5,
         'too few of a kind')


def vec_fastpath_port():
    """The same on a configured port: what the heuristic leaves is shown
    as malformed."""
    recs = list(records('fastpath.vec'))
    pcap = fp_pcap()
    got = msgs(pcap, 'cpnsfp', opts=[fp_keys()[2], 'cpnsfp.udp_ports:5066'])
    n = 0
    for i, r in enumerate(recs):
        ms = got[i + 1]
        if not r['payload']:
            continue        # UDP hands an empty payload to nobody
        want(len(ms) == 1, r['case'] + ': not dissected on the port')
        p = bytes.fromhex(r['payload'])
        # What a receiver refuses from the header alone (fastpath.rst,
        # "Receiving" step 1), the group's id aside: a key matter here.
        if (len(p) < 44 or p[0] != 1 or p[1:4] != b'\0\0\0' or
                p[24:28] == b'\0' * 4):
            want(ms[0].has('cpnsfp.malformed') and not ms[0].has('cpnsfp.key_source'),
                 r['case'] + ': not shown as malformed')
            n += 1
        else:
            want(not ms[0].has('cpnsfp.malformed'), r['case'] + ': malformed?')
    want(n >= 7, 'only %d malformed' % n)
    print('%d malformed datagrams shown as such' % n)


def vec_fastpath_keys():
    """A key for any group opens; a wrong key does not."""
    ka, kb, _ = fp_keys()
    pcap = fp_pcap()
    recs = list(records('fastpath.vec'))
    i = [r['case'] for r in recs].index('ok/odd') + 1
    m = msgs(pcap, 'cpnsfp', opts=['cpnsfp.keys:' + kb + ',' + ka])[i][0]
    want(m.values('cpnsfp.plaintext') == [recs[i - 1]['plaintext']], 'any-group key')
    m = msgs(pcap, 'cpnsfp', opts=['cpnsfp.keys:1:1:' + kb])[i][0]
    want(m.has('cpnsfp.auth_failed') and not m.has('cpnsfp.plaintext'), 'wrong key')
    m = msgs(pcap, 'cpnsfp', opts=['cpnsfp.keys:1:1:' + ka[:-2]])[i][0]
    want(m.has('cpnsfp.no_key'), 'a short key is not a key')


def cuts_and_flips(pcap_name, payloads, port):
    """Every cut (a sample of them for long payloads) and random byte
    changes of each payload: a frame list."""
    rnd = random.Random(1)
    frames = []
    for p in payloads:
        step = 1 if len(p) <= 200 else 37
        frames += [udp(p[:n], port) for n in range(1, len(p), step)]
        for _ in range(40):
            q = bytearray(p)
            for _ in range(rnd.randint(1, 3)):
                q[rnd.randrange(len(q))] = rnd.randrange(256)
            frames.append(udp(bytes(q), port))
    return write_pcap(pcap_name, frames)


def vec_cut_messages():
    """Every ok message cut short: always refused as truncated."""
    recs = [r for r in msg_records(True) if len(r['msg']) // 2 < 7000]
    frames = []
    for r in recs:
        p = bytes.fromhex(r['msg'])
        step = 1 if len(p) <= 200 else 37
        for n in range(1, len(p), step):
            frames.append(udp(p[:n], 5333))
    got = msgs(write_pcap('msg-cut.pcap', frames))
    for num, ms in got.items():
        want(len(ms) == 1 and ms[0].one('cpns.refusal') == 'truncated' and
             ms[0].has('cpns.malformed'), 'frame %d: %s' % (
                 num, ms and ms[0].shows('cpns.refusal')))
    print('%d cut messages, each refused as truncated' % len(got))


def vec_fuzz():
    """Random byte changes and cuts: never a Lua error, and what is
    refused is shown as malformed."""
    msgs_ = [bytes.fromhex(r['msg']) for r in msg_records(True)
             if len(r['msg']) // 2 < 7000]
    pcap = cuts_and_flips('msg-fuzz.pcap', msgs_, 5333)
    got = msgs(pcap)
    refused = sum(1 for ms in got.values() if ms and ms[0].has('cpns.refusal'))
    for num, ms in got.items():
        for m in ms:
            want(m.has('cpns.refusal') == m.has('cpns.malformed'),
                 'frame %d: refusal and expert disagree' % num)
    fps = [bytes.fromhex(r['payload']) for r in records('fastpath.vec')
           if r['result'] == 'ok' and len(r['payload']) < 3000]
    pcap2 = cuts_and_flips('fp-fuzz.pcap', fps, 5066)
    got2 = msgs(pcap2, 'cpnsfp', opts=[fp_keys()[2], 'cpnsfp.udp_ports:5066'])
    run_tshark(pcap, fmt='text')
    run_tshark(pcap2, opts=[fp_keys()[2], 'cpnsfp.udp_ports:5066'], fmt='text')
    print('%d mutated messages (%d refused), %d mutated datagrams, no Lua error'
          % (len(got), refused, len(got2)))


# --- the VM's captures ----------------------------------------------------------
def facts():
    out = {}
    for line in open(os.path.join(DIR, 'facts')):
        k, _, v = line.partition('=')
        out[k.strip()] = v.strip()
    return out


def db_keys():
    """(group, epoch) -> (key, valid_from, valid_until), from the server's
    database (a copy: SQLite may write beside it)."""
    import shutil
    d = os.path.join(WORK, 'db')
    os.makedirs(d, exist_ok=True)
    for f in ('server.db', 'server.db-wal'):
        if os.path.exists(os.path.join(DIR, f)):
            shutil.copy(os.path.join(DIR, f), d)
    db = sqlite3.connect(os.path.join(d, 'server.db'))
    rows = db.execute('SELECT group_id, epoch, key, valid_from, valid_until FROM gks')
    return {(g, e): (k, f, u) for g, e, k, f, u in rows}


def keys_opt(keys):
    return 'cpnsfp.keys:' + ','.join('%d:%d:%s' % (g, e, k.hex())
                                     for (g, e), (k, _, _) in keys.items())


def cap(opts=(), keylog=True):
    o = ['cpns.tls_ports:4433'] + list(opts)
    if keylog:
        o.append('tls.keylog_file:' + os.path.join(DIR, 'keylog'))
    return os.path.join(DIR, 'cpns.pcap'), o


def cap_msgs():
    pcap, o = cap()
    return [m for _, ms in sorted(msgs(pcap, opts=o).items()) for m in ms]


def by_type(t):
    """The capture's messages of type t, but the one refused."""
    return [m for m in cap_msgs() if typename(m) == t and not m.has('cpns.refusal')]


def cap_types():
    types = {}
    for m in cap_msgs():
        types[typename(m)] = types.get(typename(m), 0) + 1
    print(' '.join('%s:%d' % (t, types.get(t, 0)) for t in MSG_TYPES))
    want(all(types.get(t) for t in MSG_TYPES), 'a type is missing')
    # The key log opens every record: none is left as opaque data.
    want(not opaque(True), 'frames %s: TLS application data, not CPNS' % opaque(True))


def opaque(keylog):
    """Frames with TLS records nothing decoded."""
    pcap, o = cap(keylog=keylog)
    return [num for num, p in packets(pcap, o)
            if p.find(".//field[@name='tls.app_data']") is not None and
            not any(x.get('name') == 'cpns' for x in p.iter('proto'))]


def cap_no_keylog():
    """Without the key log nothing is decrypted, so no CPNS message is
    shown but the broadcasts: the TLS part depends on the key log."""
    pcap, o = cap(keylog=False)
    got = [m for _, ms in sorted(msgs(pcap, opts=o).items()) for m in ms]
    want(got and {typename(m) for m in got} == {'gk-bcast'},
         'without the key log: %s' % {typename(m) for m in got})
    want(len(opaque(False)) > 50, 'only %d opaque frames' % len(opaque(False)))


def cap_figure_a():
    f, ms = facts(), by_type('gkdk-req')
    want({m.one('cpns.pne_id') for m in ms} == set(f['pnes'].split()),
         'gkdk-req from %s' % {m.one('cpns.pne_id') for m in ms})
    got = set()
    for m in by_type('gkdk-resp'):
        want(m.one('cpns.gateway_id') == f['gateway_id'], 'gateway id')
        want([m.one('cpns.gkdk.' + k) for k in ('version', 'scheme', 'height',
                                                 'reserved', 'gateway_id')] ==
             ['1', '1', f['height'], '0', f['gateway_id']], 'GKDK header')
        want(len(m.values('cpns.gkdk.key')) == int(f['height']) + 1, 'GKDK keys')
        gkdk = bytes.fromhex(m.values('cpns.gkdk')[0])
        want(gkdk[20:] == bytes.fromhex(''.join(m.values('cpns.gkdk.key'))), 'keys')
        fp = hashlib.sha256(b'cpns-v1 gkdk fingerprint' + gkdk).digest()[:8].hex()
        got.add((m.one('cpns.gkdk.set_id'), m.one('cpns.gkdk.slot'), fp))
    sk = {m.values('cpns.sign_key')[0] for m in by_type('gkdk-resp')}
    want(len(sk) == 1 and len(sk.pop()) == 64, 'one 32-byte signing key')
    # The modules of a1 and a2 hold the GKDKs the capture shows.
    for p in ('a1', 'a2'):
        want(tuple(f['gkdk_' + p].split()) in got, 'GKDK of %s %s not in %s' % (
            p, f['gkdk_' + p], got))
    slots = {(s, sl) for s, sl, _ in got}
    for x in ('x1', 'x2', 'x3'):
        _, s, _, st = f['assign_' + x].split()
        want((st, s) in slots, 'GKDK of %s' % x)
    want(len(got) == 7, 'GKDKs %s' % sorted(got))
    print('%d gkdk-req, %d distinct GKDKs' % (len(by_type('gkdk-req')), len(got)))


def cap_gk_notify():
    f, keys = facts(), db_keys()
    ms = by_type('gk-notify')
    want([(m.one('cpns.group'), m.one('cpns.epoch')) for m in ms] ==
         [(f['group'], '1'), (f['group'], '2')], 'gk-notify %s' % ms)
    for m in ms:
        e = int(m.one('cpns.epoch'))
        k, vf, vu = keys[(int(f['group']), e)]
        want(m.values('cpns.group_key') == [k.hex()], 'epoch %d: Group Key' % e)
        fp = hashlib.sha256(b'cpns-v1 gk fingerprint' + k).digest()[:8].hex()
        want(fp == f['fp_%d' % e], 'epoch %d: fingerprint %s, the module\'s %s' % (
            e, fp, f['fp_%d' % e]))
        want([m.one('cpns.valid_from'), m.one('cpns.valid_until')] ==
             [str(vf), str(vu)], 'epoch %d: validity' % e)
        want(m.shows('cpns.member') == sorted(f['members_%d' % e].split()),
             'epoch %d: members %s' % (e, m.shows('cpns.member')))
        want(m.has('cpns.learnt'), 'not learnt')


def cap_gk_resp():
    f = facts()
    got = sorted((m.one('cpns.epoch'), m.one('cpns.pne_id') or '-',
                  m.one('cpns.status'), m.one('cpns.group'))
                 for m in by_type('gk-resp'))
    exp = sorted((e, p, '0', f['group']) for e in ('1', '2')
                 for p in ['-'] + f['members_%s' % e].split() if p != 'x1')
    want(sorted(set(got)) == exp, 'gk-resp %s, want %s' % (got, exp))


def cs_cover(h, slots):
    full = lambda n: (n - 2 ** h in slots) if n >= 2 ** h else \
        full(2 * n) and full(2 * n + 1)
    out = [n for n in range(1, 2 ** (h + 1)) if full(n) and (n == 1 or not full(n // 2))]
    first = lambda n: n * 2 ** (h - n.bit_length() + 1) - 2 ** h
    return sorted(out, key=first)


def cap_gk_bcast():
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    f, keys = facts(), db_keys()
    pk = Ed25519PublicKey.from_public_bytes(bytes.fromhex(
        by_type('gkdk-resp')[0].values('cpns.sign_key')[0]))
    h = int(f['height'])
    # Both epochs' blobs are set 1's: the cover of their members' slots.
    slot = {}
    for x in f['set1_slots'].split():
        p, s = x.split(':')
        slot[p] = int(s)
    slots = {e: {slot[p] for p in f['members_' + e].split()} for e in ('1', '2')}
    ms = by_type('gk-bcast')
    for m in ms:
        e = m.one('cpns.blob.epoch')
        k, vf, vu = keys[(int(f['group']), int(e))]
        fields = [m.one('cpns.gateway_id')] + [m.one('cpns.blob.' + x) for x in (
            'version', 'scheme', 'height', 'reserved', 'set_id', 'gateway_id',
            'group', 'valid_from', 'valid_until')]
        want(fields == [f['gateway_id'], '1', '1', f['height'], '0', '1',
                        f['gateway_id'], f['group'], str(vf), str(vu)],
             'frame %d: %s' % (m.frame, fields))
        cover = [str(n) for n in cs_cover(h, slots[e])]
        want(m.shows('cpns.blob.cover_node') == cover and
             m.one('cpns.blob.cover_count') == str(len(cover)) and
             len(m.values('cpns.blob.wrap')) == len(cover),
             'frame %d: cover %s, want %s' % (m.frame, m.shows('cpns.blob.cover_node'), cover))
        want(not m.has('cpns.blob.refusal') and not m.has('cpns.refusal'), 'refused')
        blob = bytes.fromhex(m.values('cpns.blob')[0])
        sig = bytes.fromhex(m.values('cpns.signature')[0])
        want(blob + sig == bytes.fromhex(m.values('cpns.signed_blob')[0]), 'split')
        try:
            pk.verify(sig, b'cpns-v1 group key notification' + blob)
        except InvalidSignature:
            raise Fail('frame %d: the signature does not verify' % m.frame)
    epochs = sorted(m.one('cpns.blob.epoch') for m in ms)
    want(epochs.count('1') >= 5 and epochs.count('2') >= 4,
         'gk-bcast epochs %s' % epochs)
    print('%d gk-bcast (broadcast and pulled), signatures verified' % len(ms))


def cap_others():
    f = facts()
    errs = sorted((STATUS[int(m.one('cpns.code'))], m.values('cpns.text')[0]
                   if m.has('cpns.text') else None) for m in by_type('error'))
    want([c for c, _ in errs] == ['malformed', 'not_member', 'revoked'],
         'errors %s' % errs)
    want(bytes.fromhex(errs[0][1]).decode() == f['err_malformed'] and
         bytes.fromhex(errs[2][1]).decode() == f['err_revoked'] and errs[1][1] is None,
         'error texts %s' % errs)
    ka = by_type('keepalive')
    want(ka and all(m.one('cpns.length') == '0' and not m.has('cpns.attr')
                    for m in ka), 'keepalives')
    want({m.one('cpns.set_id') for m in by_type('gkdk-renew')} == {'2'}, 'gkdk-renew')
    want([(m.one('cpns.group'), m.one('cpns.epoch')) for m in by_type('gk-exclude')]
         == [(f['group'], '2')], 'gk-exclude')
    pulls = [(m.one('cpns.group'), m.one('cpns.epoch')) for m in by_type('gk-pull')]
    want(pulls == [(f['group'], '1'), (f['group'], None), ('67', None)],
         'gk-pull %s' % pulls)
    bad = [m for m in cap_msgs() if m.has('cpns.refusal')]
    want([(m.one('cpns.refusal'), m.one('cpns.version')) for m in bad] ==
         [('version', '2')], 'refused in the capture: %s' % bad)
    want(all(m.has('cpns.malformed') for m in bad), 'no expert')
    print('%d errors, %d keepalives, %d gkdk-renew' % (
        len(errs), len(ka), len(by_type('gkdk-renew'))))


def sealed(opts, keylog):
    pcap, o = cap(opts, keylog)
    return [m for _, ms in sorted(msgs(pcap, 'cpnsfp', opts=o).items()) for m in ms]


def cap_sealed(mode):
    f, keys = facts(), db_keys()
    if mode == 'keys':
        ms, src = sealed([keys_opt(keys)], False), 'preference'
    elif mode == 'learnt':
        ms, src = sealed([], True), 'Group Key from gk-notify'
    else:
        ms = sealed([], False)
        want(len(ms) == 12 and all(m.has('cpnsfp.no_key') and
                                   not m.has('cpnsfp.plaintext') for m in ms),
             'without keys: %s' % ms)
        return
    want(len(ms) == 12, '%d sealed datagrams' % len(ms))
    plain = {e: f['dgram_' + e].split() for e in ('1', '2')}
    seen = {}
    for m in ms:
        e = m.one('cpnsfp.epoch')
        want(m.one('cpnsfp.group') == f['group'] and e in plain, 'header %s' % m)
        want((m.one('cpnsfp.key_source') or '').startswith(src), 'frame %d: %s' % (
            m.frame, m.shows('cpnsfp.key_source')))
        seq = int(m.one('cpnsfp.seq'))
        want(m.values('cpnsfp.plaintext') == [plain[e][seq - 1]],
             'frame %d: plaintext %s' % (m.frame, m.values('cpnsfp.plaintext')))
        seen.setdefault(e, set()).add((m.one('cpnsfp.sender'), seq))
    want(seen == {e: {(list(seen[e])[0][0], s) for s in (1, 2, 3)}
                  for e in ('1', '2')}, 'senders and seqs %s' % seen)
    print('12 sealed datagrams (6 on each link) opened to what a1 sent')


def cap_malformed():
    """The capture's own broadcasts and sealed datagrams, cut and
    changed: shown as malformed, never a Lua error."""
    pcap, o = cap(keylog=False)
    bc, fp = [], []
    for num, p in packets(pcap, o):
        port = p.find(".//field[@name='udp.dstport']")
        pl = p.find(".//field[@name='udp.payload']")
        if port is None or pl is None:
            continue
        (bc if port.get('show') == '5333' else fp).append(bytes.fromhex(pl.get('value')))
    want(bc and fp, 'no payloads')
    b, s = bc[0], fp[0]
    bad_b = [b[:7], b[:8], b[:-1], b + b'\0', b'\x02' + b[1:], b[:1] + b'\x0b' + b[2:],
             b[:4] + struct.pack('>I', 0xffffffff) + b[8:],
             b[:-64 - 70],            # cut inside the signed blob
             b[:24] + b'\x02' + b[25:],  # the blob's version
             b[:44] + b'\0\0\0\0' + b[48:]]  # the blob's cover count, 0
    frames = [udp(x, 5333) for x in bad_b]
    bad_s = [s[:27], s[:28], s[:43], b'\x02' + s[1:], s[:1] + b'\x01' + s[2:],
             s[:24] + bytes(4) + s[28:]]
    frames += [udp(x, 5066) for x in bad_s]
    pc = write_pcap('cap-bad.pcap', frames)
    o2 = ['cpnsfp.udp_ports:5066']
    got, got_fp = msgs(pc, opts=o2), msgs(pc, 'cpnsfp', opts=o2)
    for i in range(len(bad_b)):
        want(got[i + 1] and (got[i + 1][0].has('cpns.malformed') or
                             got[i + 1][0].has('cpns.blob.malformed')),
             'broadcast mutation %d not malformed' % i)
    for i in range(len(bad_s)):
        want(got_fp[len(bad_b) + i + 1] and
             got_fp[len(bad_b) + i + 1][0].has('cpnsfp.malformed'),
             'datagram mutation %d not malformed' % i)
    run_tshark(pc, opts=o2, fmt='text')
    print('%d mutated broadcasts, %d mutated datagrams: malformed' % (
        len(bad_b), len(bad_s)))


def cap_text():
    pcap, o = cap([keys_opt(db_keys())])
    out = run_tshark(pcap, opts=o, fmt='text')
    want('Expert Info (Error/Malformed): Malformed CPNS message: version' in out,
         'tshark -V does not show the refused message as malformed')


try:
    globals()[sys.argv[1]](*sys.argv[2:])
except Fail as e:
    print('FAIL:', e)
    sys.exit(1)
EOF
py() { python3 "$WORK/check.py" "$@"; }

NV=11
NC=13
n=1
[ -n "$vectors" ] && n=$((n + NV))
[ -n "$DIR" ] && n=$((n + NC))
plan "$n"
check "tshark 4 and python3-cryptography are installed" \
	eval 'tshark -v | grep -q "^TShark (Wireshark) [4-9]\." &&
		python3 -c "import cryptography"'
if [ -n "$vectors" ]; then
check "msg.vec: each message type, every field, as recorded" py vec_msg_ok
check "msg.vec: each refusal named as recorded, shown as malformed" py vec_msg_refused
check "msg.vec on one TCP stream, in segments of 1 to 1460 bytes: reassembled" py vec_msg_stream
check "a bad header mid-stream is refused at once" py vec_stream_bad_header
check "msg.vec in TLS 1.3 with its key log: packed, split, across records" py vec_tls
check "cs-open.vec's blobs in gk-bcast: fields, cover, and key-less refusals" py vec_blobs
check "fastpath.vec: the heuristic takes sealed datagrams only; they open" py vec_fastpath
check "fastpath.vec on a configured port: malformed datagrams shown so" py vec_fastpath_port
check "a key for any group opens; a wrong or short key does not" py vec_fastpath_keys
check "every message cut short is refused as truncated" py vec_cut_messages
check "mutated messages and datagrams: malformed, never a Lua error" py vec_fuzz
fi

if [ -n "$DIR" ]; then
	check "the VM's files are there" \
		test -s "$DIR/cpns.pcap" -a -s "$DIR/keylog" -a -s "$DIR/facts" -a -s "$DIR/server.db"
	check "capture: the key log opens the sessions: every message type" py cap_types
	check "capture: without the key log only the broadcasts are CPNS" py cap_no_keylog
	check "capture: figure a: PNE ids, GKDKs the modules hold, one signing key" py cap_figure_a
	check "capture: gk-notify: Group Keys, validity and members as the server's" py cap_gk_notify
	check "capture: gk-resp of the gateway and of each member, both epochs" py cap_gk_resp
	check "capture: gk-bcast: blob fields, cover of the members, signature" py cap_gk_bcast
	check "capture: error, keepalive, gkdk-renew, gk-exclude, gk-pull; the bad message" py cap_others
	check "capture: sealed datagrams open with the Group Keys as preference" py cap_sealed keys
	check "capture: and with the keys learnt from the decrypted gk-notify" py cap_sealed learnt
	check "capture: and without either, each says it has no key" py cap_sealed none
	check "capture: its broadcasts and datagrams, cut or changed, are malformed" py cap_malformed
	check "capture: tshark -V with every option: the refused message's expert item, no Lua error" \
		py cap_text
fi
finish
