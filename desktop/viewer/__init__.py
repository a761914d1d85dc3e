"""The image viewer: one viewport (:mod:`desktop.viewer.viewport`) and a grid of them."""
