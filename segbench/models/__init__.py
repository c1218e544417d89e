"""Model builders. Importing this package imports none of them (``models list`` reads ``catalog.json`` without
Keras); the registries import the modules that register the bundled ones (``segbench.registry``)."""
