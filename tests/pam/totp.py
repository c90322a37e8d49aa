#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""totp.py BASE32 [OFFSET_STEPS] - the RFC 6238 code (SHA-1, 6 digits, 30 s)
for now + OFFSET_STEPS * 30 s, computed independently of libksm."""
import base64, hashlib, hmac, struct, sys, time

key = base64.b32decode(sys.argv[1].upper() + "=" * (-len(sys.argv[1]) % 8))
step = int(time.time()) // 30 + (int(sys.argv[2]) if len(sys.argv) > 2 else 0)
h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
o = h[-1] & 0x0F
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
