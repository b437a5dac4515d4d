#!/usr/bin/env python3
"""Independent SCU for the gateway tests (pynetdicom): sends files, prints one line per file:
`<status as 0xXXXX or ERR> <file>`. Options corrupt objects on purpose or spread the files over several
associations opened at the same time."""
import argparse
import struct
import sys
import threading

from pydicom import dcmread
from pynetdicom import AE, StoragePresentationContexts, build_context


def corrupt_first_fragment(encapsulated):
    """Overwrites the bytes of the first fragment after the Basic Offset Table with 0xA5, keeping every item
    header and length: a well-formed encapsulation whose compressed stream no decoder accepts."""
    data = bytearray(encapsulated)
    table_length = struct.unpack_from("<I", data, 4)[0]
    start = 8 + table_length
    length = struct.unpack_from("<I", data, start + 4)[0]
    data[start + 8 : start + 8 + length] = b"\xa5" * length
    return bytes(data)


def send(files, args, results, lock):
    ae = AE(ae_title=args.calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 60
    datasets = []
    for path in files:
        ds = dcmread(path, force=True)
        if args.relabel_transfer_syntax:
            # Same encapsulated bytes under another syntax UID: a syntax no decoder here handles.
            ds.file_meta.TransferSyntaxUID = args.relabel_transfer_syntax
        if args.shorten_pixels:
            ds.PixelData = ds.PixelData[: len(ds.PixelData) - args.shorten_pixels]
        if args.corrupt_first_fragment:
            ds.PixelData = corrupt_first_fragment(ds.PixelData)
        datasets.append((path, ds))
    contexts = set()
    for _, ds in datasets:
        syntax = ds.file_meta.TransferSyntaxUID
        contexts.add((ds.SOPClassUID, syntax))
    for sop_class, syntax in sorted(contexts):
        ae.add_requested_context(sop_class, [syntax])
    assoc = ae.associate(args.host, args.port, ae_title=args.called)
    if not assoc.is_established:
        with lock:
            for path, _ in datasets:
                results.append(("ERR", path))
        return
    for path, ds in datasets:
        status = assoc.send_c_store(ds)
        code = "ERR" if not status else "0x%04X" % status.Status
        with lock:
            results.append((code, path))
    assoc.release()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--calling", default="PYNETDICOM")
    parser.add_argument("--called", default="QKDGATE")
    parser.add_argument("--associations", type=int, default=1)
    parser.add_argument("--shorten-pixels", type=int, default=0)
    parser.add_argument("--relabel-transfer-syntax", default="")
    parser.add_argument("--corrupt-first-fragment", action="store_true")
    args = parser.parse_args()
    results, lock = [], threading.Lock()
    groups = [args.files[i :: args.associations] for i in range(args.associations)]
    threads = [threading.Thread(target=send, args=(g, args, results, lock)) for g in groups if g]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for code, path in sorted(results, key=lambda r: r[1]):
        print(code, path)


if __name__ == "__main__":
    sys.exit(main())
