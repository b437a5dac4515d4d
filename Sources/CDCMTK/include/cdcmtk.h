/*
 * CDCMTK — the plain-C face of qkdgate's DCMTK bridge.
 *
 * Everything DCMTK is behind this header: opaque handles, create/free pairs, status codes plus an error
 * struct with text, (pointer, length) byte buffers, and every C++ exception caught inside. Symbols are
 * prefixed `cdcmtk_`. Nothing in this header includes a DCMTK header.
 *
 * Threading: `cdcmtk_initialize` may be called from any thread, any number of times. A `cdcmtk_object` may
 * move between threads but must not be used by two threads at once.
 *
 * Strings returned through `char **` out-parameters are allocated with malloc; free them with `cdcmtk_free`.
 */
#ifndef CDCMTK_H
#define CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The DCMTK version this bridge was built against, e.g. "3.6.7".
const char *cdcmtk_version(void);

/// Result codes. 0 is success; every failure also fills the `cdcmtk_error` text.
typedef enum {
    CDCMTK_OK = 0,
    CDCMTK_READ_FAILED = 1,          ///< the bytes are not a DICOM object DCMTK can parse
    CDCMTK_WRITE_FAILED = 2,         ///< serialising or writing the file failed
    CDCMTK_UNSUPPORTED_SYNTAX = 3,   ///< no decoder/encoder for this transfer syntax (message names it)
    CDCMTK_DECODE_FAILED = 4,        ///< a decoder ran and failed (corrupt compressed data)
    CDCMTK_NOT_FOUND = 5,            ///< the element or block does not exist
    CDCMTK_INVALID_ARGUMENT = 6,     ///< caller passed a value DCMTK rejects (bad VR, bad value)
    CDCMTK_NO_PIXEL_DATA = 7,        ///< the object has no Pixel Data element
    CDCMTK_NO_FREE_GROUP = 8,        ///< no odd group is free for a private block
    CDCMTK_DICTIONARY_MISSING = 9,   ///< the DICOM data dictionary did not load
    CDCMTK_INTERNAL = 10,            ///< an exception or an unexpected DCMTK condition
} cdcmtk_status;

/// Error details: the code again and human-readable text (DCMTK's condition text plus context).
typedef struct {
    int code;
    char message[512];
} cdcmtk_error;

/// Receives DCMTK log lines (level: 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 fatal).
typedef void (*cdcmtk_log_callback)(int level, const char *logger, const char *message);

/// Idempotent process set-up: sets TCP_NODELAY=1 in the environment (before any socket opens), points
/// DCMDICTPATH at Debian's dictionaries when unset, checks the dictionary loaded, registers the JPEG,
/// JPEG-LS (raw mode, avoiding the signed 12-bit assertion) and RLE decoders and encoders, and routes DCMTK
/// logging to `callback` (may be NULL: then DCMTK logs nothing) at warning level and above.
/// Returns CDCMTK_OK or CDCMTK_DICTIONARY_MISSING.
int cdcmtk_initialize(cdcmtk_log_callback callback, cdcmtk_error *error);

/// Frees memory returned by this API (strings, serialised buffers).
void cdcmtk_free(void *pointer);

// MARK: - Objects

typedef struct cdcmtk_object cdcmtk_object;

/// An empty object (empty meta header and dataset).
cdcmtk_object *cdcmtk_object_create(void);
/// Loads a file fully into memory. NULL on failure (error filled).
cdcmtk_object *cdcmtk_object_load_file(const char *path, cdcmtk_error *error);
/// Parses a DICOM file (preamble + meta) or a bare dataset from memory. NULL on failure.
cdcmtk_object *cdcmtk_object_load_buffer(const uint8_t *bytes, size_t length, cdcmtk_error *error);
/// A deep copy. NULL on failure.
cdcmtk_object *cdcmtk_object_clone(const cdcmtk_object *object, cdcmtk_error *error);
void cdcmtk_object_free(cdcmtk_object *object);

/// Writes a DICOM file (preamble + meta) in `transfer_syntax_uid`, decoding or encoding pixel data as needed.
/// With `do_fsync` the file is flushed to disk before returning.
int cdcmtk_object_save_file(cdcmtk_object *object, const char *path, const char *transfer_syntax_uid,
                            int do_fsync, cdcmtk_error *error);
/// Serialises as a DICOM file in memory. `*bytes` must be freed with cdcmtk_free.
int cdcmtk_object_save_buffer(cdcmtk_object *object, const char *transfer_syntax_uid, uint8_t **bytes,
                              size_t *length, cdcmtk_error *error);

/// The transfer syntax the dataset is currently in (as read, or after decode). `*uid` must be freed.
int cdcmtk_object_transfer_syntax(const cdcmtk_object *object, char **uid, cdcmtk_error *error);
/// DCMTK's name for a transfer syntax UID ("Unknown Transfer Syntax" when it does not know it), whether it
/// is encapsulated and whether it is lossy. `*name` must be freed. Returns CDCMTK_OK.
int cdcmtk_transfer_syntax_info(const char *uid, char **name, int *is_encapsulated, int *is_lossy,
                                int *is_known);

/// DCMTK's name for a well-known UID (SOP class, transfer syntax, …), or NULL when it has none.
/// The returned string is static; do not free it.
const char *cdcmtk_uid_name(const char *uid);

// MARK: - Attributes (top-level dataset)

/// The value of (group,element) as a string ("\" between values); numbers formatted by DCMTK.
/// Returns CDCMTK_OK, or CDCMTK_NOT_FOUND when absent (or a sequence).
int cdcmtk_get_string(const cdcmtk_object *object, uint16_t group, uint16_t element, char **value);
/// Sets (group,element) from a string (VR from the dictionary, or `vr` when non-NULL); NULL value removes.
int cdcmtk_set_string(cdcmtk_object *object, uint16_t group, uint16_t element, const char *vr,
                      const char *value, cdcmtk_error *error);
/// The raw value bytes of (group,element) whatever its VR (UN included), little-endian for binary VRs.
/// `*bytes` must be freed (it may be NULL when the length is 0). CDCMTK_NOT_FOUND when absent.
int cdcmtk_get_raw(const cdcmtk_object *object, uint16_t group, uint16_t element, uint8_t **bytes,
                   size_t *length, char vr[3]);
/// Sets (group,element) with VR `vr` (two letters) from raw little-endian bytes.
int cdcmtk_set_raw(cdcmtk_object *object, uint16_t group, uint16_t element, const char *vr,
                   const uint8_t *bytes, size_t length, cdcmtk_error *error);
/// Removes (group,element) if present. Returns CDCMTK_OK either way.
int cdcmtk_remove(cdcmtk_object *object, uint16_t group, uint16_t element);
/// Lists the top-level tags as (group << 16 | element), ascending. `*tags` must be freed.
int cdcmtk_list_tags(const cdcmtk_object *object, uint32_t **tags, size_t *count);

// MARK: - Pixel data

/// 1 when the dataset has a Pixel Data (7FE0,0010) element.
int cdcmtk_has_pixel_data(const cdcmtk_object *object);
/// Decodes encapsulated Pixel Data (JPEG, JPEG-LS, RLE via DCMTK; JPEG 2000 via OpenJPEG) to native and
/// switches the object to Explicit VR Little Endian, dropping the compressed representation. A native
/// object is only switched to Explicit VR Little Endian. Decoders may change PhotometricInterpretation
/// (YBR_FULL_422/YBR_FULL JPEG and YBR_RCT/YBR_ICT J2K become RGB); the caller records the original.
int cdcmtk_decode_to_native(cdcmtk_object *object, cdcmtk_error *error);
/// Lends the native Pixel Data bytes (little-endian) until the next call that changes the object.
/// CDCMTK_UNSUPPORTED_SYNTAX when the pixel data is still encapsulated.
int cdcmtk_pixel_bytes(cdcmtk_object *object, const uint8_t **bytes, size_t *length, cdcmtk_error *error);
/// Replaces Pixel Data with native bytes: OW when `as_words` (BitsAllocated > 8; length must be even), else OB.
/// Any compressed representation is dropped.
int cdcmtk_set_pixel_bytes(cdcmtk_object *object, const uint8_t *bytes, size_t length, int as_words,
                           cdcmtk_error *error);
/// Replaces Pixel Data with a new native element of `length` bytes (OW when `as_words`, else OB) and lends its
/// storage in `*bytes`, to be filled (little-endian) before the next call that reads or changes the object:
/// the caller writes the pixels once, where DCMTK keeps them, instead of handing over a copy.
int cdcmtk_create_pixel_bytes(cdcmtk_object *object, size_t length, int as_words, uint8_t **bytes,
                              cdcmtk_error *error);

#ifdef __cplusplus
}
#endif

#endif
