"""The graph security scan of a SavedModel directory, before TensorFlow loads anything.

The scan takes a directory and knows nothing of handles or pieces: `rsm.scan` (in
`interface/scanning.py`) resolves a handle, or saves an in-process object, and hands the
directory here. `allowlist_scan.scan_directory` and `enforce` are the room's entry points;
`saved_model_files` and `contained_files` are the file checks `rsm.load` and `rsm.save`
run before TensorFlow reads a model.
"""
