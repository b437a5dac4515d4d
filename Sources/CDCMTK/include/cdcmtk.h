/*
 * CDCMTK — the plain-C face of qkdgate's DCMTK bridge.
 *
 * Everything DCMTK is behind this header: opaque handles, create/free pairs, status codes plus an error
 * struct with text, (pointer, length) byte buffers, and every C++ exception caught inside. Symbols are
 * prefixed `cdcmtk_`. Nothing in this header includes a DCMTK header.
 */
#ifndef CDCMTK_H
#define CDCMTK_H

#ifdef __cplusplus
extern "C" {
#endif

/// The DCMTK version this bridge was built against, e.g. "3.6.7".
const char *cdcmtk_version(void);

#ifdef __cplusplus
}
#endif

#endif
