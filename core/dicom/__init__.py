"""Reading DICOM right: index, geometry, pixels, volumes."""
