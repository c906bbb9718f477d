# Invalid UTF-8 and NUL bytes: 16 KiB of every byte value (i % 256), lone continuation
# bytes, an overlong encoding and NULs, written raw to stdout. Output is bytes: it must
# come back byte-exact (size and CRC-32 checked), status ok.
# expect: ok
# expect-no-ns: ok
# stdout-size: 16400
# stdout-crc32: 12d059ea
# stdout-truncated: false
import os
data = bytes(i % 256 for i in range(16384)) + b"\x80\xbf\xc0\xaf\xff\xfe\x00\x00\xed\xa0\x80\x00\xf8\x88\x80\x80"
os.write(1, data)
