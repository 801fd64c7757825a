"""reusable_savedmodel.adapters: one module per framework, each both directions.

Import the one you need (`from reusable_savedmodel.adapters import keras`); nothing is
imported here so that each framework stays optional.

Each sub-package's `__init__` is its public surface (`examples` is the one public module
here, the bundled example models); every other module is internal.
"""
