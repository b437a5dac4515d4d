// JPEG 2000 decoding with OpenJPEG: DCMTK 3.6.7 has no JPEG 2000 codec, but PACS traffic (CR/DX especially)
// often uses it. Frames are rebuilt from the encapsulated fragments, decoded, and stored as native Pixel Data.
#include "bridge_internal.h"

#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <openjpeg-2.5/openjpeg.h>

#include <cstring>
#include <vector>

using cdcmtk::fail;

namespace {

struct MemoryStream {
    const uint8_t *data;
    OPJ_SIZE_T length;
    OPJ_SIZE_T position;
};

OPJ_SIZE_T readMemory(void *buffer, OPJ_SIZE_T count, void *user) {
    MemoryStream *stream = static_cast<MemoryStream *>(user);
    if (stream->position >= stream->length) return static_cast<OPJ_SIZE_T>(-1);
    OPJ_SIZE_T available = stream->length - stream->position;
    OPJ_SIZE_T copied = count < available ? count : available;
    std::memcpy(buffer, stream->data + stream->position, copied);
    stream->position += copied;
    return copied;
}

OPJ_OFF_T skipMemory(OPJ_OFF_T count, void *user) {
    MemoryStream *stream = static_cast<MemoryStream *>(user);
    OPJ_OFF_T target = static_cast<OPJ_OFF_T>(stream->position) + count;
    if (target < 0) target = 0;
    if (target > static_cast<OPJ_OFF_T>(stream->length)) target = static_cast<OPJ_OFF_T>(stream->length);
    OPJ_OFF_T moved = target - static_cast<OPJ_OFF_T>(stream->position);
    stream->position = static_cast<OPJ_SIZE_T>(target);
    return moved;
}

OPJ_BOOL seekMemory(OPJ_OFF_T offset, void *user) {
    MemoryStream *stream = static_cast<MemoryStream *>(user);
    if (offset < 0 || offset > static_cast<OPJ_OFF_T>(stream->length)) return OPJ_FALSE;
    stream->position = static_cast<OPJ_SIZE_T>(offset);
    return OPJ_TRUE;
}

void ignoreMessage(const char *, void *) {}

void keepError(const char *message, void *user) {
    std::string *text = static_cast<std::string *>(user);
    if (text->empty()) {
        *text = message;
        while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    }
}

struct Geometry {
    unsigned rows = 0, columns = 0, frames = 1, samples = 1, bitsAllocated = 0;
};

/// Decodes one codestream (or JP2 file) into `output` at the frame's position, interleaved.
int decodeFrame(const std::vector<uint8_t> &codestream, const Geometry &geometry, uint8_t *output,
                unsigned frameIndex, cdcmtk_error *error) {
    const bool isJP2 = codestream.size() >= 12 && codestream[0] == 0 && codestream[1] == 0 && codestream[2] == 0 &&
                       codestream[3] == 0x0C && codestream[4] == 0x6A && codestream[5] == 0x50;
    opj_codec_t *codec = opj_create_decompress(isJP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    if (codec == nullptr) return fail(error, CDCMTK_INTERNAL, "OpenJPEG could not create a decoder");
    std::string openjpegError;
    opj_set_info_handler(codec, ignoreMessage, nullptr);
    opj_set_warning_handler(codec, ignoreMessage, nullptr);
    opj_set_error_handler(codec, keepError, &openjpegError);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    opj_setup_decoder(codec, &parameters);

    MemoryStream memory{codestream.data(), static_cast<OPJ_SIZE_T>(codestream.size()), 0};
    opj_stream_t *stream = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_stream_set_user_data(stream, &memory, nullptr);
    opj_stream_set_user_data_length(stream, memory.length);
    opj_stream_set_read_function(stream, readMemory);
    opj_stream_set_skip_function(stream, skipMemory);
    opj_stream_set_seek_function(stream, seekMemory);

    opj_image_t *image = nullptr;
    bool decoded = opj_read_header(stream, codec, &image) && opj_decode(codec, stream, image) &&
                   opj_end_decompress(codec, stream);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    const std::string where = "JPEG 2000 frame " + std::to_string(frameIndex + 1);
    if (!decoded || image == nullptr) {
        if (image != nullptr) opj_image_destroy(image);
        return fail(error, CDCMTK_DECODE_FAILED, where + " did not decode (" +
                    (openjpegError.empty() ? std::string("OpenJPEG gave no reason") : openjpegError) +
                    "); the compressed data is corrupt");
    }
    int status = CDCMTK_OK;
    if (image->numcomps != geometry.samples) {
        status = fail(error, CDCMTK_DECODE_FAILED, where + " has " + std::to_string(image->numcomps) +
                      " components but SamplesPerPixel is " + std::to_string(geometry.samples));
    } else {
        for (unsigned c = 0; c < image->numcomps && status == CDCMTK_OK; ++c) {
            const opj_image_comp_t &component = image->comps[c];
            if (component.w != geometry.columns || component.h != geometry.rows || component.data == nullptr) {
                status = fail(error, CDCMTK_DECODE_FAILED, where + " is " + std::to_string(component.w) + "x" +
                              std::to_string(component.h) + " but Columns x Rows is " +
                              std::to_string(geometry.columns) + "x" + std::to_string(geometry.rows));
            }
        }
    }
    if (status == CDCMTK_OK) {
        const size_t pixels = size_t(geometry.rows) * geometry.columns;
        const size_t bytesPerSample = geometry.bitsAllocated / 8;
        const size_t frameBytes = pixels * geometry.samples * bytesPerSample;
        uint8_t *frame = output + frameBytes * frameIndex;
        for (unsigned c = 0; c < geometry.samples; ++c) {
            const OPJ_INT32 *values = image->comps[c].data;
            for (size_t p = 0; p < pixels; ++p) {
                // Two's complement truncation keeps signed values as their stored bits.
                const uint32_t word = static_cast<uint32_t>(values[p]);
                uint8_t *target = frame + (p * geometry.samples + c) * bytesPerSample;
                target[0] = static_cast<uint8_t>(word);
                if (bytesPerSample == 2) target[1] = static_cast<uint8_t>(word >> 8);
            }
        }
    }
    opj_image_destroy(image);
    return status;
}

bool startsCodestream(const uint8_t *bytes, Uint32 length) {
    return length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0x4F) || (length >= 6 && bytes[4] == 0x6A && bytes[5] == 0x50));
}

}  // namespace

namespace cdcmtk {

int decodeJPEG2000(cdcmtk_object *object, cdcmtk_error *error) {
    DcmDataset *dataset = object->file.getDataset();
    Geometry geometry;
    Uint16 value = 0;
    Sint32 frames = 1;
    if (dataset->findAndGetUint16(DCM_Rows, value).good()) geometry.rows = value;
    if (dataset->findAndGetUint16(DCM_Columns, value).good()) geometry.columns = value;
    if (dataset->findAndGetUint16(DCM_SamplesPerPixel, value).good()) geometry.samples = value;
    if (dataset->findAndGetUint16(DCM_BitsAllocated, value).good()) geometry.bitsAllocated = value;
    if (dataset->findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames > 0) geometry.frames = unsigned(frames);
    if (geometry.rows == 0 || geometry.columns == 0 || (geometry.samples != 1 && geometry.samples != 3)) {
        return fail(error, CDCMTK_DECODE_FAILED, "Rows, Columns or SamplesPerPixel missing or invalid; cannot decode JPEG 2000");
    }
    if (geometry.bitsAllocated != 8 && geometry.bitsAllocated != 16) {
        return fail(error, CDCMTK_UNSUPPORTED_SYNTAX, "JPEG 2000 with BitsAllocated " + std::to_string(geometry.bitsAllocated) +
                    " is not supported (8 and 16 are)");
    }

    DcmElement *element = nullptr;
    if (dataset->findAndGetElement(DCM_PixelData, element, OFFalse).bad() || element == nullptr) {
        return fail(error, CDCMTK_NO_PIXEL_DATA, "the object has no Pixel Data");
    }
    DcmPixelData *pixelData = OFstatic_cast(DcmPixelData *, element);
    DcmPixelSequence *sequence = nullptr;
    OFCondition condition = pixelData->getEncapsulatedRepresentation(object->xfer, nullptr, sequence);
    if (condition.bad() || sequence == nullptr) {
        return failCondition(error, CDCMTK_DECODE_FAILED, "the JPEG 2000 Pixel Data is not encapsulated as expected", condition);
    }

    struct Fragment { const uint8_t *bytes; Uint32 length; Uint32 offset; };
    std::vector<Fragment> fragments;
    std::vector<Uint32> offsetTable;
    Uint32 position = 0;
    for (unsigned long index = 0; index < sequence->card(); ++index) {
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, index).bad() || item == nullptr) continue;
        Uint8 *bytes = nullptr;
        const Uint32 length = item->getLength();
        if (length > 0 && (item->getUint8Array(bytes).bad() || bytes == nullptr)) {
            return fail(error, CDCMTK_DECODE_FAILED, "a JPEG 2000 fragment could not be read");
        }
        if (index == 0) {
            for (Uint32 at = 0; at + 4 <= length; at += 4) {
                offsetTable.push_back(Uint32(bytes[at]) | Uint32(bytes[at + 1]) << 8 | Uint32(bytes[at + 2]) << 16 |
                                      Uint32(bytes[at + 3]) << 24);
            }
            continue;
        }
        fragments.push_back({bytes, length, position});
        position += length + 8;
    }
    if (fragments.empty()) return fail(error, CDCMTK_DECODE_FAILED, "the JPEG 2000 Pixel Data has no fragments");

    // Which fragment starts each frame: the Basic Offset Table when present, else one fragment per frame
    // when the counts agree, else every fragment that begins a codestream.
    std::vector<size_t> starts;
    if (geometry.frames == 1) {
        starts.push_back(0);
    } else if (offsetTable.size() == geometry.frames) {
        for (Uint32 offset : offsetTable) {
            for (size_t f = 0; f < fragments.size(); ++f) {
                if (fragments[f].offset == offset) { starts.push_back(f); break; }
            }
        }
    } else if (fragments.size() == geometry.frames) {
        for (size_t f = 0; f < fragments.size(); ++f) starts.push_back(f);
    } else {
        for (size_t f = 0; f < fragments.size(); ++f) {
            if (startsCodestream(fragments[f].bytes, fragments[f].length)) starts.push_back(f);
        }
    }
    if (starts.size() != geometry.frames) {
        return fail(error, CDCMTK_DECODE_FAILED, "found " + std::to_string(starts.size()) + " JPEG 2000 frames but NumberOfFrames is " +
                    std::to_string(geometry.frames) + "; the encapsulated Pixel Data is inconsistent");
    }

    const size_t frameBytes = size_t(geometry.rows) * geometry.columns * geometry.samples * (geometry.bitsAllocated / 8);
    std::vector<uint8_t> native(frameBytes * geometry.frames + ((frameBytes * geometry.frames) % 2));
    for (unsigned frame = 0; frame < geometry.frames; ++frame) {
        const size_t first = starts[frame];
        const size_t end = frame + 1 < geometry.frames ? starts[frame + 1] : fragments.size();
        std::vector<uint8_t> codestream;
        for (size_t f = first; f < end; ++f) codestream.insert(codestream.end(), fragments[f].bytes, fragments[f].bytes + fragments[f].length);
        int status = decodeFrame(codestream, geometry, native.data(), frame, error);
        if (status != CDCMTK_OK) return status;
    }

    int status = cdcmtk_set_pixel_bytes(object, native.data(), native.size(), geometry.bitsAllocated > 8, error);
    if (status != CDCMTK_OK) return status;
    // OpenJPEG applies the inverse component transform, so the samples are RGB now.
    OFString photometric;
    if (dataset->findAndGetOFString(DCM_PhotometricInterpretation, photometric).good() &&
        (photometric == "YBR_RCT" || photometric == "YBR_ICT")) {
        dataset->putAndInsertString(DCM_PhotometricInterpretation, "RGB");
    }
    if (geometry.samples > 1) dataset->putAndInsertUint16(DCM_PlanarConfiguration, 0);
    return CDCMTK_OK;
}

}  // namespace cdcmtk
