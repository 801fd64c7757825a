"""reusable_savedmodel.adapters: one module per framework, each both directions.

Import the one you need (`from reusable_savedmodel.adapters import keras`); nothing is
imported here so that each framework stays optional.
"""
