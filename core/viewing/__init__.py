"""What a viewer shows, without a widget: the logic a desktop viewport only draws.

:mod:`core.viewing.transform` maps image points to the screen (zoom, pan, rotation,
flips) and says which patient direction each edge of the view faces;
:mod:`core.viewing.measurements` keeps the measurements of each series, the one being
drawn or moved, and the undo/redo history; :mod:`core.viewing.window` the window
shown, its presets and inverted greys; :mod:`core.viewing.cine` which image is due
when playing; :mod:`core.viewing.frames` which frames of a filling volume can be shown.
A viewport gathers the mouse and keys, calls these, and paints what they hold.
"""
