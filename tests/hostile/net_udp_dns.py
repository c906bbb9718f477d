# Outbound UDP (a raw DNS query to 8.8.8.8:53) and a resolver lookup through
# getaddrinfo(): socket() fails with EACCES, so the UDP send fails and the lookup ends in
# a gaierror. No packet leaves in either mode.
# expect: ok
# expect-no-ns: ok
# stdout-contains: udp: EACCES
# stdout-contains: dns: failed
# stdout-not-contains: RESOLVED
# stdout-not-contains: SENT
import errno, socket
query = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(query, ("8.8.8.8", 53))
    print("SENT")
except OSError as e:
    print("udp:", errno.errorcode.get(e.errno, e))
try:
    print("RESOLVED", socket.getaddrinfo("example.com", 80))
except OSError as e:
    print("dns: failed", type(e).__name__, e)
