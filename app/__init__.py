"""Composition root: configuration, wiring of the engines, the CLI. The only package that knows them all."""
