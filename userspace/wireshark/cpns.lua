-- SPDX-License-Identifier: GPL-2.0
--
-- Wireshark dissector for cpns (Documentation/wireshark.rst):
--
--   cpns    the CPNS messages (Documentation/protocol.rst): the gateway's
--           broadcast Group Key Notification on UDP 5333, and every
--           message inside the daemons' TLS sessions once Wireshark can
--           decrypt them (a TLS key log file, tls.keylog_file);
--   cpnsfp  the fast path's sealed datagrams (Documentation/fastpath.rst),
--           found by a heuristic on any UDP port or on configured ports,
--           opened when the Group Key is known (a preference, or learnt
--           from a decrypted gk-notify earlier in the capture).
--
-- Wireshark 4.0's Lua has no binding to libgcrypt (GcryptCipher came
-- later), so the AES-256-GCM and HMAC-SHA-256 that opening needs are
-- written here in Lua: slow (some 8 us of CPU a byte) but only run on
-- datagrams whose key is known.
--
-- Nothing a packet holds may raise a Lua error: lengths are checked
-- before every read, faults become "malformed" expert items named as the
-- daemons' codec names them, and a fault this file did not foresee is
-- caught and shown as one too (cpns.bug), never as "Lua Error".

local band, bor, bxor, bnot = bit32.band, bit32.bor, bit32.bxor, bit32.bnot
local lshift, rshift, rrotate = bit32.lshift, bit32.rshift, bit32.rrotate

------------------------------------------------------------------------
-- Cryptography: SHA-256, HMAC-SHA-256 (RFC 2104), AES-256 (FIPS 197)
-- encryption and GCM opening (SP 800-38D).  Strings of bytes in and out.
------------------------------------------------------------------------

local function be32(n)
	return string.char(band(rshift(n, 24), 255), band(rshift(n, 16), 255),
			   band(rshift(n, 8), 255), band(n, 255))
end

local function be64(n)
	return be32(math.floor(n / 2^32)) .. be32(n % 2^32)
end

local SHA_K = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function sha256(m)
	local n = #m
	m = m .. "\128" .. ("\0"):rep((55 - n) % 64) .. be64(n * 8)
	local h = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
	local w = {}
	for blk = 1, #m, 64 do
		for i = 0, 15 do
			local a, b, c, d = m:byte(blk + 4 * i, blk + 4 * i + 3)
			w[i] = ((a * 256 + b) * 256 + c) * 256 + d
		end
		for i = 16, 63 do
			local x, y = w[i - 15], w[i - 2]
			local s0 = bxor(rrotate(x, 7), rrotate(x, 18), rshift(x, 3))
			local s1 = bxor(rrotate(y, 17), rrotate(y, 19), rshift(y, 10))
			w[i] = (w[i - 16] + s0 + w[i - 7] + s1) % 2^32
		end
		local a, b, c, d, e, f, g, k = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
		for i = 0, 63 do
			local s1 = bxor(rrotate(e, 6), rrotate(e, 11), rrotate(e, 25))
			local ch = bxor(band(e, f), band(bnot(e), g))
			local t1 = (k + s1 + ch + SHA_K[i + 1] + w[i]) % 2^32
			local s0 = bxor(rrotate(a, 2), rrotate(a, 13), rrotate(a, 22))
			local maj = bxor(band(a, b), band(a, c), band(b, c))
			k, g, f, e, d, c, b, a = g, f, e, (d + t1) % 2^32, c, b, a,
						 (t1 + s0 + maj) % 2^32
		end
		for i, v in ipairs({ a, b, c, d, e, f, g, k }) do
			h[i] = (h[i] + v) % 2^32
		end
	end
	local out = {}
	for i = 1, 8 do
		out[i] = be32(h[i])
	end
	return table.concat(out)
end

local function xor_str(s, byte)
	return (s:gsub(".", function(c) return string.char(bxor(c:byte(), byte)) end))
end

local function hmac_sha256(key, msg)
	if #key > 64 then
		key = sha256(key)
	end
	key = key .. ("\0"):rep(64 - #key)
	return sha256(xor_str(key, 0x5c) .. sha256(xor_str(key, 0x36) .. msg))
end

-- S-box and xtime from GF(2^8) arithmetic rather than a 256-entry table:
-- p walks the field by multiplying by 3, q by dividing by 3, so q = 1/p.
local SBOX, XT = { [0] = 0x63 }, {}
do
	local function rotl8(x, s)
		return band(bor(lshift(x, s), rshift(x, 8 - s)), 0xff)
	end
	for i = 0, 255 do
		XT[i] = bxor(band(lshift(i, 1), 0xff), i >= 128 and 0x1b or 0)
	end
	local p, q = 1, 1
	repeat
		p = bxor(p, XT[p])
		q = bxor(q, lshift(q, 1))
		q = bxor(q, lshift(q, 2))
		q = band(bxor(q, lshift(q, 4)), 0xff)
		if band(q, 0x80) ~= 0 then
			q = bxor(q, 0x09)
		end
		SBOX[p] = bxor(q, rotl8(q, 1), rotl8(q, 2), rotl8(q, 3), rotl8(q, 4), 0x63)
	until p == 1
end

-- AES-256 key schedule: 240 bytes of round keys, w[1..240].
local function aes_expand(key)
	local w, rcon = { key:byte(1, 32) }, 1
	for i = 32, 236, 4 do
		local t0, t1, t2, t3 = w[i - 3], w[i - 2], w[i - 1], w[i]
		if i % 32 == 0 then
			t0, t1, t2, t3 = bxor(SBOX[t1], rcon), SBOX[t2], SBOX[t3], SBOX[t0]
			rcon = XT[rcon]
		elseif i % 32 == 16 then
			t0, t1, t2, t3 = SBOX[t0], SBOX[t1], SBOX[t2], SBOX[t3]
		end
		w[i + 1], w[i + 2] = bxor(w[i - 31], t0), bxor(w[i - 30], t1)
		w[i + 3], w[i + 4] = bxor(w[i - 29], t2), bxor(w[i - 28], t3)
	end
	return w
end

-- One block, a 16-byte string, encrypted; the state is column-major.
local function aes_encrypt(w, blk)
	local s, t = { blk:byte(1, 16) }, {}
	for i = 1, 16 do
		s[i] = bxor(s[i], w[i])
	end
	for r = 1, 14 do
		for c = 0, 3 do		-- SubBytes and ShiftRows
			for row = 0, 3 do
				t[c * 4 + row + 1] = SBOX[s[((c + row) % 4) * 4 + row + 1]]
			end
		end
		if r < 14 then		-- MixColumns
			for c = 1, 13, 4 do
				local a0, a1, a2, a3 = t[c], t[c + 1], t[c + 2], t[c + 3]
				local x = bxor(a0, a1, a2, a3)
				t[c] = bxor(a0, x, XT[bxor(a0, a1)])
				t[c + 1] = bxor(a1, x, XT[bxor(a1, a2)])
				t[c + 2] = bxor(a2, x, XT[bxor(a2, a3)])
				t[c + 3] = bxor(a3, x, XT[bxor(a3, a0)])
			end
		end
		for i = 1, 16 do
			s[i] = bxor(t[i], w[r * 16 + i])
		end
	end
	return string.char(unpack(s))
end

local function words(s)		-- 16 bytes as four big-endian u32
	local b = { s:byte(1, 16) }
	local r = {}
	for i = 0, 3 do
		r[i + 1] = ((b[4 * i + 1] * 256 + b[4 * i + 2]) * 256 + b[4 * i + 3]) * 256 + b[4 * i + 4]
	end
	return r
end

-- x * h in GCM's GF(2^128), bit by bit (SP 800-38D, algorithm 1).
local function gf_mul(x, h)
	local z1, z2, z3, z4 = 0, 0, 0, 0
	local v1, v2, v3, v4 = h[1], h[2], h[3], h[4]
	for i = 1, 4 do
		local xi = x[i]
		for b = 31, 0, -1 do
			if band(xi, lshift(1, b)) ~= 0 then
				z1, z2, z3, z4 = bxor(z1, v1), bxor(z2, v2), bxor(z3, v3), bxor(z4, v4)
			end
			local lsb = band(v4, 1)
			v4 = bor(rshift(v4, 1), lshift(band(v3, 1), 31))
			v3 = bor(rshift(v3, 1), lshift(band(v2, 1), 31))
			v2 = bor(rshift(v2, 1), lshift(band(v1, 1), 31))
			v1 = rshift(v1, 1)
			if lsb == 1 then
				v1 = bxor(v1, 0xe1000000)
			end
		end
	end
	return { z1, z2, z3, z4 }
end

local function ghash(h, x, data)
	for off = 1, #data, 16 do
		local blk = data:sub(off, off + 15)
		local y = words(blk .. ("\0"):rep(16 - #blk))
		x = gf_mul({ bxor(x[1], y[1]), bxor(x[2], y[2]), bxor(x[3], y[3]),
			     bxor(x[4], y[4]) }, h)
	end
	return x
end

-- AES-256-GCM with a 12-byte nonce: the plaintext, or nil when the tag
-- does not verify.
local function gcm_open(w, nonce, aad, ct, tag)
	local h = words(aes_encrypt(w, ("\0"):rep(16)))
	local x = ghash(h, { 0, 0, 0, 0 }, aad)
	x = ghash(h, x, ct)
	x = ghash(h, x, be64(#aad * 8) .. be64(#ct * 8))
	local want = aes_encrypt(w, nonce .. be32(1))
	local y = words(want)
	for i = 1, 4 do
		y[i] = bxor(y[i], x[i])
	end
	if be32(y[1]) .. be32(y[2]) .. be32(y[3]) .. be32(y[4]) ~= tag then
		return nil
	end
	local out = {}
	for i = 0, math.ceil(#ct / 16) - 1 do
		local ks = aes_encrypt(w, nonce .. be32(i + 2))
		local c = ct:sub(16 * i + 1, 16 * i + 16)
		out[i + 1] = c:gsub("()(.)", function(j, ch)
			return string.char(bxor(ch:byte(), ks:byte(j)))
		end)
	end
	return table.concat(out)
end

------------------------------------------------------------------------
-- Names and formats (Documentation/protocol.rst, keys.rst)
------------------------------------------------------------------------

local MSG_TYPES = {
	[1] = "gkdk-req", [2] = "gkdk-resp", [3] = "gk-notify", [4] = "gk-resp",
	[5] = "gk-bcast", [6] = "error", [7] = "keepalive", [8] = "gkdk-renew",
	[9] = "gk-exclude", [10] = "gk-pull",
}
local STATUS = {
	[0] = "ok", "malformed", "unexpected", "unknown_pne", "revoked",
	"internal", "busy", "stale", "not_member", "install", "conflict",
}
-- Attributes: name, label, and either a fixed integer width (int) or
-- length bounds (min, max); check is the value rule.
local ATTRS = {
	{ "pne_id", "PNE id", min = 1, max = 64, check = "id" },
	{ "gateway_id", "Gateway id", int = 8 },
	{ "gkdk", "GKDK", min = 84, max = 692, check = "gkdk" },
	{ "sign_key", "Gateway signing key (Ed25519)", min = 32, max = 32 },
	{ "group", "Service Group", int = 4, check = "nonzero" },
	{ "epoch", "Epoch", int = 8, check = "nonzero" },
	{ "group_key", "Group Key", min = 32, max = 32 },
	{ "valid_from", "Valid from", int = 8 },
	{ "valid_until", "Valid until", int = 8 },
	{ "status", "Status", int = 2, check = "status" },
	{ "signed_blob", "Signed notification", min = 1, max = 65535 },
	{ "set_id", "Key material set", int = 4 },
	{ "code", "Code", int = 2, check = "status" },
	{ "text", "Text", min = 0, max = 256, check = "text" },
	{ "slot", "Slot", int = 4 },
	{ "members", "Members", min = 0, max = 65535, check = "members" },
}
local ATTR_NAMES = {}
for i, a in ipairs(ATTRS) do
	ATTR_NAMES[i] = a[1]
end
-- What each message type takes: required and optional attributes.
local TAKES = {
	[1] = { req = { 1 } },
	[2] = { req = { 2, 3, 4 } },
	[3] = { req = { 5, 6, 7, 8, 9, 16 } },
	[4] = { req = { 5, 6, 10 }, opt = { 1 } },
	[5] = { req = { 2, 11 } },
	[6] = { req = { 13 }, opt = { 14 } },
	[7] = { req = {} },
	[8] = { req = { 12 } },
	[9] = { req = { 5, 6 } },
	[10] = { req = { 5 }, opt = { 6 } },
}
local HDR_LEN = 8
-- The largest body any receiver takes (CPNS_MSG_BODY_MAX_LARGE): a
-- header announcing more is refused at once, as the daemons do.
local BODY_MAX = 65536 + 1024
local SCHEMES = { [1] = "Complete Subtree" }
local SIG_LEN = 64
local BLOB_HDR = 64
local TREE_HEIGHT_MAX = 20
local COVER_MAX = 65536

------------------------------------------------------------------------
-- The CPNS messages
------------------------------------------------------------------------

local cpns = Proto("cpns", "CPNS Group Key management")
local F = {
	version = ProtoField.uint8("cpns.version", "Version"),
	type = ProtoField.uint8("cpns.type", "Type", base.DEC, MSG_TYPES),
	flags = ProtoField.uint16("cpns.flags", "Flags", base.HEX),
	length = ProtoField.uint32("cpns.length", "Body length"),
	attr = ProtoField.none("cpns.attr", "Attribute"),
	attr_type = ProtoField.uint16("cpns.attr.type", "Type", base.DEC, ATTR_NAMES),
	attr_len = ProtoField.uint16("cpns.attr.length", "Length"),
	attr_value = ProtoField.bytes("cpns.attr.value", "Value"),
	pne_id = ProtoField.string("cpns.pne_id", "PNE id"),
	gateway_id = ProtoField.uint64("cpns.gateway_id", "Gateway id"),
	gkdk = ProtoField.bytes("cpns.gkdk", "GKDK"),
	sign_key = ProtoField.bytes("cpns.sign_key", "Gateway signing key"),
	group = ProtoField.uint32("cpns.group", "Service Group"),
	epoch = ProtoField.uint64("cpns.epoch", "Epoch"),
	group_key = ProtoField.bytes("cpns.group_key", "Group Key"),
	valid_from = ProtoField.uint64("cpns.valid_from", "Valid from"),
	valid_until = ProtoField.uint64("cpns.valid_until", "Valid until"),
	status = ProtoField.uint16("cpns.status", "Status", base.DEC, STATUS),
	signed_blob = ProtoField.bytes("cpns.signed_blob", "Signed notification"),
	set_id = ProtoField.uint32("cpns.set_id", "Key material set"),
	code = ProtoField.uint16("cpns.code", "Code", base.DEC, STATUS),
	text = ProtoField.string("cpns.text", "Text"),
	slot = ProtoField.uint32("cpns.slot", "Slot"),
	members = ProtoField.bytes("cpns.members", "Members"),
	member = ProtoField.string("cpns.member", "Member"),
	refusal = ProtoField.string("cpns.refusal", "Refusal"),
	refusal_attr = ProtoField.string("cpns.refusal_attr", "Refused attribute"),
	-- inside a GKDK (keys.rst, "GKDK")
	gkdk_version = ProtoField.uint8("cpns.gkdk.version", "Version"),
	gkdk_scheme = ProtoField.uint8("cpns.gkdk.scheme", "Scheme", base.DEC, SCHEMES),
	gkdk_height = ProtoField.uint8("cpns.gkdk.height", "Tree height"),
	gkdk_reserved = ProtoField.uint8("cpns.gkdk.reserved", "Reserved"),
	gkdk_set_id = ProtoField.uint32("cpns.gkdk.set_id", "Key material set"),
	gkdk_gateway_id = ProtoField.uint64("cpns.gkdk.gateway_id", "Gateway id"),
	gkdk_slot = ProtoField.uint32("cpns.gkdk.slot", "Slot"),
	gkdk_key = ProtoField.bytes("cpns.gkdk.key", "Node key"),
	-- inside a signed notification (keys.rst, "Encrypted Group Key")
	blob = ProtoField.bytes("cpns.blob", "Encrypted Group Key"),
	blob_version = ProtoField.uint8("cpns.blob.version", "Version"),
	blob_scheme = ProtoField.uint8("cpns.blob.scheme", "Scheme", base.DEC, SCHEMES),
	blob_height = ProtoField.uint8("cpns.blob.height", "Tree height"),
	blob_reserved = ProtoField.uint8("cpns.blob.reserved", "Reserved"),
	blob_set_id = ProtoField.uint32("cpns.blob.set_id", "Key material set"),
	blob_gateway_id = ProtoField.uint64("cpns.blob.gateway_id", "Gateway id"),
	blob_group = ProtoField.uint32("cpns.blob.group", "Service Group"),
	blob_count = ProtoField.uint32("cpns.blob.cover_count", "Cover entries"),
	blob_epoch = ProtoField.uint64("cpns.blob.epoch", "Epoch"),
	blob_valid_from = ProtoField.uint64("cpns.blob.valid_from", "Valid from"),
	blob_valid_until = ProtoField.uint64("cpns.blob.valid_until", "Valid until"),
	blob_salt = ProtoField.bytes("cpns.blob.salt", "Salt"),
	blob_node = ProtoField.uint32("cpns.blob.cover_node", "Cover node"),
	blob_wrap = ProtoField.bytes("cpns.blob.wrap", "Wrapped GKEK"),
	blob_seal = ProtoField.bytes("cpns.blob.seal", "Sealed Group Key"),
	blob_nonce = ProtoField.bytes("cpns.blob.nonce", "Nonce"),
	blob_ct = ProtoField.bytes("cpns.blob.ciphertext", "Ciphertext"),
	blob_tag = ProtoField.bytes("cpns.blob.tag", "Tag"),
	blob_refusal = ProtoField.string("cpns.blob.refusal", "Refusal"),
	signature = ProtoField.bytes("cpns.signature", "Signature (Ed25519)"),
}
local E = {
	malformed = ProtoExpert.new("cpns.malformed", "Malformed CPNS message",
				    expert.group.MALFORMED, expert.severity.ERROR),
	blob_malformed = ProtoExpert.new("cpns.blob.malformed",
					 "Malformed signed notification",
					 expert.group.MALFORMED, expert.severity.ERROR),
	bug = ProtoExpert.new("cpns.bug", "CPNS dissector failed on this packet",
			      expert.group.MALFORMED, expert.severity.ERROR),
	learnt = ProtoExpert.new("cpns.learnt", "Group Key learnt for the fast path",
				 expert.group.DECRYPTION, expert.severity.NOTE),
}
do
	local list = {}
	for _, f in pairs(F) do
		list[#list + 1] = f
	end
	cpns.fields = list
	cpns.experts = { E.malformed, E.blob_malformed, E.bug, E.learnt }
end

cpns.prefs.tls_ports = Pref.range("TLS ports", "4433", "TCP ports of the CPNS TLS sessions (cpnsd.conf listen)", 65535)
cpns.prefs.bcast_port = Pref.uint("Broadcast port", 5333, "UDP port of the gateway's broadcast ([broadcast] port)")
cpns.prefs.learn_keys = Pref.bool("Learn Group Keys", true,
	"Open the fast path with the Group Keys of decrypted gk-notify messages")

-- Group Keys seen in gk-notify messages of this capture, "group:epoch" ->
-- 32-byte string; forgotten when the capture is (re)loaded.
local learnt = {}
function cpns.init()
	learnt = {}
end

local function utc(v)
	-- UInt64 -> date text; out of range for os.date: nothing.
	local n = v:tonumber()
	if n >= 0 and n < 253402300800 then
		return os.date("!%Y-%m-%d %H:%M:%S UTC", n)
	end
	return nil
end

local function id_ok(s)
	return s:find("^[A-Za-z0-9._:-]+$") ~= nil
end

local function bytes_less(a, b)		-- memcmp order, a prefix first
	for i = 1, math.min(#a, #b) do
		local x, y = a:byte(i), b:byte(i)
		if x ~= y then
			return x < y
		end
	end
	return #a < #b
end

local function add_time(item, v)
	local t = utc(v)
	if t then
		item:append_text(" (" .. t .. ")")
	end
end

-- members: (u8 n, n id bytes)*; each id shown; true when well-formed.
local function dissect_members(tvb, off, len, tree)
	local pos, prev, good = off, nil, true
	while pos < off + len do
		local n = tvb:range(pos, 1):uint()
		if n < 1 or n > 64 or pos + 1 + n > off + len then
			tree:add(F.attr_value, tvb:range(pos, off + len - pos)):append_text(" (bad entry)")
			return false
		end
		local id = tvb:raw(pos + 1, n)
		tree:add(F.member, tvb:range(pos + 1, n))
		if not id_ok(id) or (prev and not bytes_less(prev, id)) then
			good = false
		end
		prev, pos = id, pos + 1 + n
	end
	return good
end

local function dissect_gkdk(tvb, off, len, tree)
	tree:add(F.gkdk_version, tvb:range(off, 1))
	tree:add(F.gkdk_scheme, tvb:range(off + 1, 1))
	tree:add(F.gkdk_height, tvb:range(off + 2, 1))
	tree:add(F.gkdk_reserved, tvb:range(off + 3, 1))
	tree:add(F.gkdk_set_id, tvb:range(off + 4, 4))
	tree:add(F.gkdk_gateway_id, tvb:range(off + 8, 8))
	tree:add(F.gkdk_slot, tvb:range(off + 16, 4))
	for i = 0, (len - 20) / 32 - 1 do
		tree:add(F.gkdk_key, tvb:range(off + 20 + 32 * i, 32))
			:prepend_text("[" .. i .. "] ")
	end
end

-- The blob of a signed notification (keys.rst, "Blob layout"): every
-- field, and the first check of "Decrypting" steps 1-9 (those that need
-- no key) it fails, named as cpns_gk_parse() names it.
local function dissect_blob(tvb, off, len, tree)
	local function refuse(why, item)
		tree:add(F.blob_refusal, why):set_generated()
		;(item or tree):add_proto_expert_info(E.blob_malformed,
			"Malformed signed notification: " .. why)
	end
	if len < BLOB_HDR then
		tree:add(F.blob, tvb:range(off, len))
		return refuse("truncated")
	end
	local r = function(o, n) return tvb:range(off + o, n) end
	local version, scheme, h, reserved = r(0, 1):uint(), r(1, 1):uint(), r(2, 1):uint(), r(3, 1):uint()
	local count = r(20, 4):uint()
	tree:add(F.blob_version, r(0, 1))
	tree:add(F.blob_scheme, r(1, 1))
	tree:add(F.blob_height, r(2, 1))
	tree:add(F.blob_reserved, r(3, 1))
	tree:add(F.blob_set_id, r(4, 4))
	tree:add(F.blob_gateway_id, r(8, 8))
	tree:add(F.blob_group, r(16, 4))
	tree:add(F.blob_count, r(20, 4))
	tree:add(F.blob_epoch, r(24, 8))
	add_time(tree:add(F.blob_valid_from, r(32, 8)), r(32, 8):uint64())
	add_time(tree:add(F.blob_valid_until, r(40, 8)), r(40, 8):uint64())
	tree:add(F.blob_salt, r(48, 16))
	local why
	if version ~= 1 then
		why = "version"
	elseif not SCHEMES[scheme] then
		why = "scheme"
	elseif h < 1 or h > TREE_HEIGHT_MAX then
		why = "height"
	elseif reserved ~= 0 then
		why = "reserved"
	elseif r(40, 8):uint64() <= r(32, 8):uint64() then
		why = "lifetime"
	elseif count == 0 or count > math.min(2^(h - 1), COVER_MAX) then
		why = "count"
	elseif len < BLOB_HDR + count * 64 + 60 then
		why = "truncated"
	elseif len > BLOB_HDR + count * 64 + 60 then
		why = "trailing"
	end
	if why then
		if len > BLOB_HDR then
			tree:add(F.attr_value, r(BLOB_HDR, len - BLOB_HDR))
		end
		return refuse(why)
	end
	-- Complete Subtree: entry ids are be32 node numbers (heap order).
	local prev, prev_first, prev_last
	for i = 0, count - 1 do
		local node = r(BLOB_HDR + 4 * i, 4):uint()
		local item = tree:add(F.blob_node, r(BLOB_HDR + 4 * i, 4))
		if not why then
			if node < 1 or node > 2^(h + 1) - 1 then
				why = "node_range"
			else
				local d = 0
				while 2^(d + 1) <= node do
					d = d + 1
				end
				local first = node * 2^(h - d) - 2^h
				local last = first + 2^(h - d) - 1
				item:append_text(first == last and (" (slot " .. first .. ")") or
						 (" (slots " .. first .. "-" .. last .. ")"))
				if prev and first < prev_first then
					why = "cover_order"
				elseif prev and first <= prev_last then
					why = "cover_overlap"
				elseif prev and prev % 2 == 0 and node == prev + 1 then
					why = "cover_not_minimal"
				end
				prev, prev_first, prev_last = node, first, last
			end
			if why then
				refuse(why, item)
			end
		end
	end
	local function sealed(field, o, label)
		local t = tree:add(field, r(o, 60))
		if label then
			t:prepend_text(label)
		end
		t:add(F.blob_nonce, r(o, 12))
		t:add(F.blob_ct, r(o + 12, 32))
		t:add(F.blob_tag, r(o + 44, 16))
	end
	for i = 0, count - 1 do
		sealed(F.blob_wrap, BLOB_HDR + 4 * count + 60 * i, "[" .. i .. "] ")
	end
	sealed(F.blob_seal, BLOB_HDR + 64 * count)
end

local function dissect_signed(tvb, off, len, tree)
	if len <= SIG_LEN then
		tree:add(F.blob_refusal, "truncated"):set_generated()
		tree:add_proto_expert_info(E.blob_malformed,
			"Malformed signed notification: truncated (no room for the signature)")
		return
	end
	local bt = tree:add(F.blob, tvb:range(off, len - SIG_LEN))
	dissect_blob(tvb, off, len - SIG_LEN, bt)
	tree:add(F.signature, tvb:range(off + len - SIG_LEN, SIG_LEN))
end

-- One attribute at off (4 + alen bytes, all present): the typed value,
-- and the refusal its value earns, if any.
local function dissect_value(tvb, a, off, alen, at, vals)
	local spec = ATTRS[a]
	local v = tvb:range(off, alen)
	local name = spec[1]
	if spec.int then
		local item = at:add(F[name], v)
		local n = spec.int == 8 and v:uint64() or v:uint()
		vals[name] = n
		if name == "valid_from" or name == "valid_until" then
			add_time(item, n)
		end
		at:append_text(": " .. tostring(n))
		if spec.check == "nonzero" and n == (spec.int == 8 and UInt64.new(0) or 0) then
			return "attr_value"
		elseif spec.check == "status" then
			if not STATUS[n] then
				return "attr_value"
			end
			at:append_text(" (" .. STATUS[n] .. ")")
		end
		return nil
	end
	if name == "pne_id" then
		at:add(F.pne_id, v)
		at:append_text(": " .. v:string())
		return not id_ok(v:raw()) and "attr_value" or nil
	elseif name == "text" then
		at:add_packet_field(F.text, v, ENC_UTF_8)
		return v:raw():find("[%z\1-\31\127]") and "attr_value" or nil
	elseif name == "members" then
		local mt = at:add(F.members, v)
		if alen == 0 then
			mt:set_text("Members: (none)")
		end
		return not dissect_members(tvb, off, alen, mt) and "attr_value" or nil
	end
	local item = at:add(F[name], v)
	vals[name] = v:raw()
	if name == "gkdk" then
		dissect_gkdk(tvb, off, alen, item)
	elseif name == "signed_blob" then
		dissect_signed(tvb, off, alen, item)
	end
	return nil
end

-- One message of len bytes at off (datagram: len may differ from what
-- the header announces).  Adds it to tree; returns its Info text.
local function dissect_msg(tvb, off, len, pinfo, tree, datagram)
	local mt = tree:add(cpns, tvb:range(off, len))
	local why, why_attr		-- the first refusal, as cpns_msg_decode()
	local info = ""
	local function refuse(w, attr)
		if not why then
			why, why_attr = w, attr or "none"
		end
	end
	if len < HDR_LEN then
		if len > 0 then
			mt:add(F.attr_value, tvb:range(off, len))
		end
		refuse("truncated")
	else
		local ver, typ = tvb:range(off, 1):uint(), tvb:range(off + 1, 1):uint()
		local flags, blen = tvb:range(off + 2, 2):uint(), tvb:range(off + 4, 4):uint()
		mt:add(F.version, tvb:range(off, 1))
		mt:add(F.type, tvb:range(off + 1, 1))
		mt:add(F.flags, tvb:range(off + 2, 2))
		mt:add(F.length, tvb:range(off + 4, 4))
		if ver ~= 1 then
			refuse("version")
		elseif not MSG_TYPES[typ] then
			refuse("type")
		elseif flags ~= 0 then
			refuse("flags")
		elseif blen > BODY_MAX then
			refuse("too_big")
		elseif len < HDR_LEN + blen then
			refuse("truncated")
		elseif datagram and len > HDR_LEN + blen then
			refuse("trailing")
		end
		mt:append_text(", " .. (MSG_TYPES[typ] or ("type " .. typ)))
		-- Attributes: shown whatever the header said, as far as they go.
		local takes = {}
		for _, a in ipairs((TAKES[typ] or {}).req or {}) do
			takes[a] = "req"
		end
		for _, a in ipairs((TAKES[typ] or {}).opt or {}) do
			takes[a] = "opt"
		end
		local pos, stop = off + HDR_LEN, off + math.min(len, HDR_LEN + blen)
		local seen, prev, vals = {}, 0, {}
		while pos < stop do
			if stop - pos < 4 then
				mt:add(F.attr_value, tvb:range(pos, stop - pos))
				refuse("attr_truncated")
				break
			end
			local a, alen = tvb:range(pos, 2):uint(), tvb:range(pos + 2, 2):uint()
			local aname = ATTR_NAMES[a] or (a == 0 and "none" or "unknown")
			local at = mt:add(F.attr, tvb:range(pos, math.min(4 + alen, stop - pos)))
			at:set_text("Attribute: " .. (ATTR_NAMES[a] or ("unknown (" .. a .. ")")))
			at:add(F.attr_type, tvb:range(pos, 2))
			at:add(F.attr_len, tvb:range(pos + 2, 2))
			local spec = ATTRS[a]
			if not takes[a] then
				refuse("attr_unknown", aname)
			elseif a <= prev then
				refuse("attr_order", aname)
			end
			if pos + 4 + alen > stop then
				if stop > pos + 4 then
					at:add(F.attr_value, tvb:range(pos + 4, stop - pos - 4))
				end
				refuse("attr_truncated", aname)
				break
			end
			local fits = spec and (spec.int and alen == spec.int or
					       (not spec.int and alen >= spec.min and alen <= spec.max and
						(spec.check ~= "gkdk" or (alen - 20) % 32 == 0)))
			if not fits then
				if alen > 0 then
					at:add(F.attr_value, tvb:range(pos + 4, alen))
				end
				if spec then
					refuse("attr_len", aname)
				end
			else
				local w = dissect_value(tvb, a, pos + 4, alen, at, vals)
				if w then
					refuse(w, aname)
				end
			end
			if takes[a] then
				seen[a] = true
			end
			prev, pos = a, pos + 4 + alen
		end
		for _, a in ipairs((TAKES[typ] or {}).req or {}) do
			if not seen[a] then
				refuse("attr_missing", ATTR_NAMES[a])
				break
			end
		end
		if vals.valid_from and vals.valid_until and vals.valid_until <= vals.valid_from then
			refuse("attr_value", "valid_until")
		end
		-- A whole gk-notify carries a Group Key in the clear: keep it for
		-- the fast path (cpnsfp).
		if not why and typ == 3 and cpns.prefs.learn_keys then
			learnt[tostring(vals.group) .. ":" .. tostring(vals.epoch)] = vals.group_key
			mt:add_proto_expert_info(E.learnt, "Group Key of group " ..
				tostring(vals.group) .. " epoch " .. tostring(vals.epoch) ..
				" kept to open the fast path")
		end
		info = MSG_TYPES[typ] or ("type " .. typ)
		if vals.group then
			info = info .. " group " .. tostring(vals.group)
		end
		if vals.epoch then
			info = info .. " epoch " .. tostring(vals.epoch)
		end
		if vals.code or vals.status then
			info = info .. " " .. (STATUS[vals.code or vals.status] or "?")
		end
	end
	if why then
		mt:add(F.refusal, why):set_generated()
		mt:add(F.refusal_attr, why_attr):set_generated()
		mt:add_proto_expert_info(E.malformed, "Malformed CPNS message: " .. why ..
			(why_attr ~= "none" and (" (" .. why_attr .. ")") or ""))
		info = info .. (info == "" and "" or " ") .. "[Malformed: " .. why .. "]"
	end
	return info
end

-- A refusal the header alone earns: nothing after it can be framed.
local function header_bad(tvb, off)
	return tvb:range(off, 1):uint() ~= 1 or not MSG_TYPES[tvb:range(off + 1, 1):uint()] or
		tvb:range(off + 2, 2):uint() ~= 0 or tvb:range(off + 4, 4):uint() > BODY_MAX
end

-- Faults nobody foresaw become an expert item (BUG, saying WHAT
-- failed), not a Lua error.
local function guarded(fn, bug, what)
	return function(tvb, pinfo, tree)
		local ok, ret = pcall(fn, tvb, pinfo, tree)
		if ok then
			return ret
		end
		tree:add_proto_expert_info(bug, what .. " failed: " .. tostring(ret))
		return tvb:len()
	end
end

-- On a session: messages back to back, split across or packed in TLS
-- records (TCP segments): reassembled by asking for the bytes missing.
-- The messages of the frame being dissected, for its Info column.  TLS
-- calls once per record and adds "Application Data" between the calls:
-- the whole list replaces it.  TCP calls once per reassembled PDU and
-- fences what is shown: the next message is appended.  A column without
-- the list is a new dissection of the frame.
local frame_info, frame_num = {}, nil

local function show_info(pinfo, text)
	local cur, shown = tostring(pinfo.cols.info), table.concat(frame_info, ", ")
	if frame_num ~= pinfo.number or shown == "" or not cur:find(shown, 1, true) then
		frame_info, shown = {}, ""
	end
	frame_num = pinfo.number
	table.insert(frame_info, text)
	pinfo.cols.protocol = "CPNS"
	if shown ~= "" and cur:sub(-#shown) == shown then
		pinfo.cols.info:append(", " .. text)
	else
		-- TLS may have fenced "[TLS segment of a reassembled PDU]".
		pinfo.cols.info:clear_fence()
		pinfo.cols.info = table.concat(frame_info, ", ")
	end
end

local function dissect_stream(tvb, pinfo, tree)
	local off, n = 0, tvb:len()
	while off < n do
		local avail = n - off
		local need = HDR_LEN
		if avail >= HDR_LEN and not header_bad(tvb, off) then
			need = HDR_LEN + tvb:range(off + 4, 4):uint()
		elseif avail >= HDR_LEN then
			need = avail	-- unframeable: show the rest as refused
		end
		if avail < need and pinfo.can_desegment > 0 then
			pinfo.desegment_offset = off
			pinfo.desegment_len = avail < HDR_LEN and DESEGMENT_ONE_MORE_SEGMENT or need - avail
			return n
		end
		local len = math.min(need, avail)
		show_info(pinfo, dissect_msg(tvb, off, len, pinfo, tree, false))
		off = off + len
	end
	return n
end

-- The broadcast: one message per datagram.
local function dissect_datagram(tvb, pinfo, tree)
	pinfo.cols.protocol = "CPNS"
	pinfo.cols.info = dissect_msg(tvb, 0, tvb:len(), pinfo, tree, true)
	return tvb:len()
end

cpns.dissector = guarded(dissect_stream, E.bug, "CPNS dissector")
local cpns_bcast = guarded(dissect_datagram, E.bug, "CPNS dissector")

------------------------------------------------------------------------
-- The fast path's sealed datagrams
------------------------------------------------------------------------

local cpnsfp = Proto("cpnsfp", "CPNS fast path")
local FP = {
	version = ProtoField.uint8("cpnsfp.version", "Version"),
	flags = ProtoField.uint8("cpnsfp.flags", "Flags", base.HEX),
	reserved = ProtoField.uint16("cpnsfp.reserved", "Reserved", base.HEX),
	group = ProtoField.uint32("cpnsfp.group", "Service Group"),
	epoch = ProtoField.uint64("cpnsfp.epoch", "Epoch"),
	sender = ProtoField.uint64("cpnsfp.sender", "Sender", base.HEX),
	seq = ProtoField.uint32("cpnsfp.seq", "Sequence number"),
	ciphertext = ProtoField.bytes("cpnsfp.ciphertext", "Ciphertext"),
	tag = ProtoField.bytes("cpnsfp.tag", "Tag"),
	plaintext = ProtoField.bytes("cpnsfp.plaintext", "Plaintext"),
	key_source = ProtoField.string("cpnsfp.key_source", "Opened with"),
}
local FE = {
	malformed = ProtoExpert.new("cpnsfp.malformed", "Malformed sealed datagram",
				    expert.group.MALFORMED, expert.severity.ERROR),
	no_key = ProtoExpert.new("cpnsfp.no_key", "No Group Key for this group and epoch",
				 expert.group.DECRYPTION, expert.severity.NOTE),
	auth = ProtoExpert.new("cpnsfp.auth_failed", "Tag does not verify",
			       expert.group.DECRYPTION, expert.severity.WARN),
	bug = ProtoExpert.new("cpnsfp.bug", "CPNS fast path dissector failed on this packet",
			      expert.group.MALFORMED, expert.severity.ERROR),
}
cpnsfp.fields = { FP.version, FP.flags, FP.reserved, FP.group, FP.epoch, FP.sender,
		  FP.seq, FP.ciphertext, FP.tag, FP.plaintext, FP.key_source }
cpnsfp.experts = { FE.malformed, FE.no_key, FE.auth, FE.bug }
cpnsfp.prefs.udp_ports = Pref.range("UDP ports", "",
	"UDP ports whose datagrams are all sealed (the heuristic finds the others)", 65535)
cpnsfp.prefs.keys = Pref.string("Group Keys", "",
	"Group Keys in hex, comma separated: GROUP:EPOCH:KEY, or KEY alone to try on every group and epoch")

local WIRE_HDR, TAG_LEN = 28, 16

-- The keys preference, parsed once per value: { exact = {["g:e"] = key},
-- any = { key, ... } }; entries that do not parse are ignored.
local parsed_keys = { text = nil }
local function keys_pref()
	local text = cpnsfp.prefs.keys or ""
	if parsed_keys.text ~= text then
		parsed_keys = { text = text, exact = {}, any = {} }
		for entry in text:gmatch("[^,;%s]+") do
			local g, e, hex = entry:match("^(%d+):(%d+):(%x+)$")
			hex = hex or entry:match("^(%x+)$")
			if hex and #hex == 64 then
				local key = hex:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)
				if g then
					parsed_keys.exact[g .. ":" .. e] = key
				else
					table.insert(parsed_keys.any, key)
				end
			end
		end
	end
	return parsed_keys
end

-- Traffic key schedules, by Group Key, group and epoch (fastpath.rst):
-- K = HMAC-SHA-256(GK, "cpns-v1 traffic" || be32(group) || be64(epoch) || 1).
local schedules = {}
local function schedule(gk, ge)
	local id = gk .. ge
	if not schedules[id] then
		schedules[id] = aes_expand(hmac_sha256(gk, "cpns-v1 traffic" .. ge .. "\1"))
	end
	return schedules[id]
end

local function dissect_sealed(tvb, pinfo, tree)
	local n = tvb:len()
	pinfo.cols.protocol = "CPNS-FP"
	local t = tree:add(cpnsfp, tvb:range(0, n))
	local function bad(why)
		t:add_proto_expert_info(FE.malformed, "Malformed sealed datagram: " .. why)
		pinfo.cols.info = "Sealed datagram [Malformed: " .. why .. "]"
		return n
	end
	if n < WIRE_HDR then
		return bad("shorter than the 28-byte header")
	end
	t:add(FP.version, tvb:range(0, 1))
	t:add(FP.flags, tvb:range(1, 1))
	t:add(FP.reserved, tvb:range(2, 2))
	t:add(FP.group, tvb:range(4, 4))
	t:add(FP.epoch, tvb:range(8, 8))
	t:add(FP.sender, tvb:range(16, 8))
	t:add(FP.seq, tvb:range(24, 4))
	local group, epoch = tvb:range(4, 4):uint(), tvb:range(8, 8):uint64()
	local seq = tvb:range(24, 4):uint()
	pinfo.cols.info = string.format("Sealed datagram group %d epoch %s seq %d",
					group, tostring(epoch), seq)
	t:append_text(string.format(", group %d, epoch %s, seq %d", group, tostring(epoch), seq))
	if tvb:range(0, 1):uint() ~= 1 then
		return bad("version " .. tvb:range(0, 1):uint())
	elseif tvb:range(1, 1):uint() ~= 0 or tvb:range(2, 2):uint() ~= 0 then
		return bad("flags or reserved bits set")
	elseif seq == 0 then
		return bad("sequence number 0")
	elseif n < WIRE_HDR + TAG_LEN then
		return bad("no room for the 16-byte tag")
	end
	local clen = n - WIRE_HDR - TAG_LEN
	if clen > 0 then
		t:add(FP.ciphertext, tvb:range(WIRE_HDR, clen))
	end
	t:add(FP.tag, tvb:range(n - TAG_LEN, TAG_LEN))
	-- Keys to try: the exact entry, one learnt from a gk-notify, then
	-- the ones for any group.
	local kp, ge = keys_pref(), tostring(group) .. ":" .. tostring(epoch)
	local tries = {}
	if kp.exact[ge] then
		tries[#tries + 1] = { kp.exact[ge], "preference (" .. ge .. ")" }
	end
	if cpns.prefs.learn_keys and learnt[ge] then
		tries[#tries + 1] = { learnt[ge], "Group Key from gk-notify" }
	end
	for _, k in ipairs(kp.any) do
		tries[#tries + 1] = { k, "preference (any group)" }
	end
	if #tries == 0 then
		t:add_proto_expert_info(FE.no_key, "No Group Key for group " .. ge:gsub(":", " epoch "))
		return n
	end
	local hdr, ct, tag = tvb:raw(0, WIRE_HDR), tvb:raw(WIRE_HDR, clen), tvb:raw(n - TAG_LEN, TAG_LEN)
	for _, k in ipairs(tries) do
		local pt = gcm_open(schedule(k[1], hdr:sub(5, 16)), hdr:sub(17, 28), hdr, ct, tag)
		if pt then
			t:add(FP.key_source, k[2]):set_generated()
			if #pt > 0 then
				local ptvb = ByteArray.new(pt, true):tvb("Opened datagram")
				t:add(FP.plaintext, ptvb:range(0, #pt))
				Dissector.get("data"):call(ptvb, pinfo, tree)
			else
				t:add(FP.plaintext, tvb:range(WIRE_HDR, 0)):set_text("Plaintext: (empty)")
			end
			pinfo.cols.info:append(", opened")
			return n
		end
	end
	t:add_proto_expert_info(FE.auth, "Tag does not verify under the Group Key given for " ..
		ge:gsub(":", " epoch "))
	pinfo.cols.info:append(" [tag does not verify]")
	return n
end

local dissect_sealed_guarded = guarded(dissect_sealed, FE.bug,
	"CPNS fast path dissector")
cpnsfp.dissector = dissect_sealed_guarded

-- On any UDP port: only what has the shape of a sealed datagram, so that
-- other traffic is left alone (fastpath.rst, "Receiving" step 1).
local function heuristic(tvb, pinfo, tree)
	local n = tvb:len()
	if n < WIRE_HDR + TAG_LEN or tvb:range(0, 1):uint() ~= 1 or tvb:range(1, 1):uint() ~= 0 or
	   tvb:range(2, 2):uint() ~= 0 or tvb:range(4, 4):uint() == 0 or tvb:range(24, 4):uint() == 0 then
		return false
	end
	dissect_sealed_guarded(tvb, pinfo, tree)
	return true
end
cpnsfp:register_heuristic("udp", heuristic)

------------------------------------------------------------------------
-- Ports, from the preferences
------------------------------------------------------------------------

local tls_dissector = Dissector.get("tls")
local bcast_dissector = Proto("cpns_bcast", "CPNS broadcast")
bcast_dissector.dissector = cpns_bcast
local registered = {}

local function register_ports()
	local udp, tcp, tls = DissectorTable.get("udp.port"), DissectorTable.get("tcp.port"),
		DissectorTable.get("tls.port")
	if registered.tls and registered.tls ~= "" then
		tcp:remove(registered.tls, tls_dissector)
		tls:remove(registered.tls, cpns)
	end
	if registered.bcast then
		udp:remove(registered.bcast, bcast_dissector)
	end
	if registered.fp and registered.fp ~= "" then
		udp:remove(registered.fp, cpnsfp)
	end
	registered = { tls = cpns.prefs.tls_ports, bcast = cpns.prefs.bcast_port,
		       fp = cpnsfp.prefs.udp_ports }
	-- TCP on these ports is TLS, and TLS's application data is CPNS.
	if registered.tls ~= "" then
		tcp:add(registered.tls, tls_dissector)
		tls:add(registered.tls, cpns)
	end
	udp:add(registered.bcast, bcast_dissector)
	if registered.fp ~= "" then
		udp:add(registered.fp, cpnsfp)
	end
end
cpns.prefs_changed = register_ports
cpnsfp.prefs_changed = register_ports
register_ports()
-- "Decode As" CPNS on a TCP port without TLS (tests, a plaintext relay).
DissectorTable.get("tcp.port"):add_for_decode_as(cpns)
