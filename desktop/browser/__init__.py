"""The study browser: patient → study → series with thumbnails."""
