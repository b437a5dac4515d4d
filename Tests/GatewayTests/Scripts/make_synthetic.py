#!/usr/bin/env python3
"""Writes N small synthetic CT objects (16-bit, Explicit VR Little Endian) with distinct, known SOP Instance
UIDs into a directory, for crash and load tests: make_synthetic.py DIR N [ROWS]."""
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT = "1.2.840.10008.5.1.4.1.1.2"


def main():
    directory, count = sys.argv[1], int(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    study, series = generate_uid(), generate_uid()
    rng = np.random.default_rng(1)
    for index in range(count):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CT
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.Modality = "CT"
        ds.PatientName, ds.PatientID = "SYNTHETIC^TEST", "SYN0001"
        ds.InstanceNumber = index + 1
        ds.Rows = ds.Columns = rows
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = rng.integers(-1000, 3000, size=(rows, rows), dtype=np.int16).tobytes()
        ds.save_as(f"{directory}/ct{index:04d}.dcm", enforce_file_format=True)


if __name__ == "__main__":
    main()
