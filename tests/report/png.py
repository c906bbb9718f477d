"""A small PNG reader (8-bit greyscale, RGB, RGBA, palette; no interlace) on the standard
library's zlib, so the report tests need no imaging package. numpy (Debian's python3-numpy,
in scripts/bootstrap) speeds up the rows filtered with None, Sub and Up; Average and Paeth
rows are undone byte by byte."""
import struct
import zlib

try:
    import numpy
except ImportError:  # the slow path still works
    numpy = None


def _unfilter(kind, line, prev, bpp):
    """Undoes one row's filter in place (line and prev are bytearrays)."""
    n = len(line)
    if kind == 0:
        return
    if kind == 2 and numpy is not None:
        line[:] = (numpy.frombuffer(line, numpy.uint8) + numpy.frombuffer(prev, numpy.uint8)).tobytes()
        return
    if kind == 1 and numpy is not None:
        a = numpy.frombuffer(line, numpy.uint8).reshape(-1, bpp)
        line[:] = numpy.cumsum(a, axis=0, dtype=numpy.uint8).tobytes()
        return
    for i in range(n):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 1:
            line[i] = (line[i] + a) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + b) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
        elif kind == 4:
            c = prev[i - bpp] if i >= bpp else 0
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 0xFF
        else:
            raise ValueError('bad PNG filter type %d' % kind)


def read_png(path):
    """Returns (width, height, rows): rows are bytes of RGB pixels, 3 bytes each."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('%s: not a PNG file' % path)
    pos = 8
    idat = []
    width = height = depth = colour = interlace = None
    palette = b''
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            width, height, depth, colour, _, _, interlace = struct.unpack('>IIBBBBB', body)
        elif kind == b'PLTE':
            palette = body
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    if depth != 8 or interlace != 0 or colour not in (0, 2, 3, 6):
        raise ValueError('%s: unsupported PNG (depth %s, colour type %s, interlace %s)' %
                         (path, depth, colour, interlace))
    bpp = {0: 1, 2: 3, 3: 1, 6: 4}[colour]
    raw = zlib.decompress(b''.join(idat))
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise ValueError('%s: image data is %d bytes, expected %d' % (path, len(raw), height * (stride + 1)))
    rows = []
    prev = bytearray(stride)
    for y in range(height):
        p = y * (stride + 1)
        line = bytearray(raw[p + 1:p + 1 + stride])
        _unfilter(raw[p], line, prev, bpp)
        prev = line
        if colour == 2:
            rows.append(bytes(line))
        elif colour == 6:
            rows.append(bytes(b for i in range(0, stride, 4) for b in line[i:i + 3]))
        elif colour == 0:
            rows.append(bytes(v for v in line for _ in range(3)))
        else:
            rows.append(b''.join(palette[3 * v:3 * v + 3] for v in line))
    return width, height, rows


def write_png(path, width, height, rows):
    """Writes RGB rows (as read_png returns them) as a PNG."""
    raw = b''.join(b'\x00' + r for r in rows)

    def chunk(kind, body):
        return (struct.pack('>I', len(body)) + kind + body +
                struct.pack('>I', zlib.crc32(kind + body) & 0xFFFFFFFF))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(raw, 9)))
        f.write(chunk(b'IEND', b''))


def ink_stats(rows):
    """(pixels darker than near-white in any channel, distinct colours, set of colours)."""
    ink = 0
    colours = set()
    for r in rows:
        for i in range(0, len(r), 3):
            px = r[i:i + 3]
            colours.add(px)
            if px[0] < 240 or px[1] < 240 or px[2] < 240:
                ink += 1
    return ink, len(colours), colours
